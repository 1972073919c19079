#include <cstring>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include "threads.h"

void autogate_face_set_num_threads(int n) { cv::setNumThreads(n); }
int autogate_face_get_num_threads(void) { return cv::getNumThreads(); }

// gocv 0.31 lets the ONNX importer's exceptions abort the process; this
// runs the importer once under try/catch so a broken file is an error.
int autogate_face_check_onnx(const char *data, size_t len, char *err, size_t errlen) {
	try {
		cv::dnn::Net net = cv::dnn::readNetFromONNX(data, len);
		if (net.empty()) {
			std::strncpy(err, "OpenCV returned an empty network", errlen - 1);
			return 0;
		}
		return 1;
	} catch (const std::exception &e) {
		std::strncpy(err, e.what(), errlen - 1);
		err[errlen - 1] = 0;
		return 0;
	}
}
