// Source-runtime reference of face_landmark_68.onnx: face-api's own
// FaceLandmark68Net (TF.js, CPU backend) on raw RGB 112×112 crops, writing
// the 136 relative landmark coordinates the net outputs (runNet, before
// face-api scales them to the image).
//
//   node faceapi_landmark68.cjs CACHE_DIR IN.f32 N OUT.f32
//
// face-api's Node build requires @tensorflow/tfjs-node, whose native binding
// is not installed here; the require is redirected to tfjs-core with the
// pure-JS CPU backend, which gives the same kernels the browser build uses.
'use strict';
const path = require('path');
const io = require('./io.cjs');

// addChainedOps gives tensors the method forms of the ops (x.sub(y),
// x.as4D(…)), which the @tensorflow/tfjs union package registers and face-api
// relies on; tfjs-core's CommonJS build alone does not carry them. Each is the
// op itself applied to the tensor, as tfjs's own chained ops are.
function addChainedOps(tf) {
  const proto = Object.getPrototypeOf(tf.scalar(0));
  for (const [name, op] of Object.entries(tf)) {
    if (typeof op === 'function' && !(name in proto)) {
      proto[name] = function (...args) { return op(this, ...args); };
    }
  }
  const as = (shape) => function (...dims) { return tf.reshape(this, dims.length ? dims : shape); };
  proto.asScalar = function () { return tf.reshape(this, []); };
  proto.as1D = function () { return tf.reshape(this, [this.size]); };
  proto.as2D = as(); proto.as3D = as(); proto.as4D = as(); proto.as5D = as();
  proto.asType = function (dtype) { return tf.cast(this, dtype); };
  proto.toFloat = function () { return tf.cast(this, 'float32'); };
  proto.toInt = function () { return tf.cast(this, 'int32'); };
  proto.toBool = function () { return tf.cast(this, 'bool'); };
}

function loadFaceAPI() {
  const Module = require('module');
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-cpu');
  const shimKey = path.join(__dirname, 'tfjs-node-shim.virtual.js');
  const shim = new Module(shimKey);
  shim.filename = shimKey;
  shim.loaded = true;
  shim.exports = { ...tf, ...require('@tensorflow/tfjs-converter') };
  addChainedOps(tf);
  require.cache[shimKey] = shim;
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    if (request === '@tensorflow/tfjs-node') return shimKey;
    return resolve.call(this, request, ...rest);
  };
  const faceapi = require('@vladmandic/face-api');
  return { faceapi, tf };
}

// run loads the net with face-api's own loadFromDisk and feeds each
// size×size×3 image of IN.f32 through fn, collecting its Float32 outputs.
async function run(NetClass, size, fn) {
  const { cacheDir, inPath, n, outPath } = io.args();
  const { faceapi, tf } = loadFaceAPI();
  await tf.setBackend('cpu');
  await tf.ready();
  const net = new faceapi[NetClass]();
  await net.loadFromDisk(path.join(cacheDir, 'face-api', 'package', 'model'));
  const input = io.readInput(inPath);
  const per = size * size * 3;
  if (input.length !== n * per) {
    throw new Error(`${inPath}: ${input.length} floats, want ${n}×${size}×${size}×3`);
  }
  const outs = [];
  for (let i = 0; i < n; i++) {
    const img = tf.tensor3d(input.subarray(i * per, (i + 1) * per), [size, size, 3], 'float32');
    const netInput = await faceapi.toNetInput(img);
    const out = tf.tidy(() => fn(net, netInput));
    outs.push(out.dataSync().slice());
    out.dispose();
    img.dispose();
  }
  io.writeOutput(outPath, outs);
}

if (require.main === module) {
  run('FaceLandmark68Net', 112, (net, x) => net.runNet(x)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

module.exports = { run };
