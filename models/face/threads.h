#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
void autogate_face_set_num_threads(int n);
int autogate_face_get_num_threads(void);
int autogate_face_check_onnx(const char *data, size_t len, char *err, size_t errlen);
#ifdef __cplusplus
}
#endif
