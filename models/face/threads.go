package face

// #cgo pkg-config: opencv4
// #cgo CXXFLAGS: -std=c++11
// #include <stdlib.h>
// #include "threads.h"
import "C"

import (
	"errors"
	"unsafe"
)

// setNumThreads sets the size of OpenCV's worker pool, which gocv 0.31 does
// not expose; n ≤ 0 leaves OpenCV's default (one thread per core).
func setNumThreads(n int) {
	if n <= 0 {
		return
	}
	C.autogate_face_set_num_threads(C.int(n))
}

// numThreads reports the size of OpenCV's worker pool.
func numThreads() int {
	return int(C.autogate_face_get_num_threads())
}

// checkONNX runs OpenCV's ONNX importer on the model and returns its
// complaint, instead of the process abort gocv's loader would give.
func checkONNX(model []byte) error {
	if len(model) == 0 {
		return errors.New("empty file")
	}
	buf := C.CBytes(model)
	defer C.free(buf)
	msg := make([]byte, 512)
	if C.autogate_face_check_onnx((*C.char)(buf), C.size_t(len(model)), (*C.char)(unsafe.Pointer(&msg[0])), C.size_t(len(msg))) == 1 {
		return nil
	}
	if i := indexByte(msg, 0); i >= 0 {
		msg = msg[:i]
	}
	return errors.New(string(msg))
}

func indexByte(b []byte, c byte) int {
	for i, v := range b {
		if v == c {
			return i
		}
	}
	return -1
}
