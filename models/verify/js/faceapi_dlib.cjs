// Source-runtime reference of dlib_resnet.onnx: face-api's own
// FaceRecognitionNet (TF.js, CPU backend) on raw RGB 150×150 face chips,
// writing the 128-d descriptor.
//
//   node faceapi_dlib.cjs CACHE_DIR IN.f32 N OUT.f32
//
// Loading (tfjs-node redirected to tfjs-core + CPU backend) is shared with
// faceapi_landmark68.cjs.
'use strict';
const { run } = require('./faceapi_landmark68.cjs');

run('FaceRecognitionNet', 150, (net, x) => net.forwardInput(x)).catch((e) => {
  console.error(e);
  process.exit(1);
});
