// Command convert-faceapi rebuilds one of face-api's networks from its TF.js
// weights manifest and writes it as ONNX for OpenCV's DNN:
//
//	convert-faceapi --net landmark68|dlib MANIFEST.json OUT.onnx
//
// The manifest's shard files are read from the manifest's directory. OUT's
// directory is created if needed, and OUT is replaced atomically, so a
// failed run never leaves a truncated model behind. Exit status: 0 done,
// 1 conversion failed, 2 usage error.
package main
