// Package faceapi rebuilds two of face-api's networks from their TF.js
// weights manifests as ONNX graphs that OpenCV 4.6's DNN importer loads:
//
//   - FaceLandmark68Net: input `input` [1,3,112,112] raw RGB 0–255, output
//     `landmarks` [1,136] (x0,y0,x1,y1,… relative to the crop, as the net
//     outputs them before face-api scales them to the image).
//   - FaceRecognitionNet, face-api's port of dlib's ResNet-34-like face
//     descriptor: input `input` [1,3,150,150] raw RGB 0–255, output
//     `descriptor` [1,128].
//
// face-api ships only weights; the architecture lives in its JavaScript.
// Here it is rebuilt from the op sequence face-api runs (read, not copied),
// with face-api's input normalisation ((x − mean RGB) / 255) inside the
// graph, so callers feed pixels. TF's SAME padding, which puts the odd row
// and column at the bottom/right, becomes explicit asymmetric pads; the dlib
// net's scale layers are folded into the preceding convolutions; its
// down-sampling shortcut (2×2 average pool, channels zero-padded, the main
// path zero-padded by a row and a column where its size came out smaller)
// becomes AveragePool + Pad.
package faceapi
