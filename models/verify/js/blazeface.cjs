// Source runtime for BlazeFace (human-models' TF.js graph model), the
// reference the converted models/cache/onnx/blazeface.onnx is checked
// against by `make models-verify`.
//
//   node blazeface.cjs CACHE_DIR IN.f32 N OUT.f32
//
// IN.f32: N images NHWC [256,256,3], RGB scaled to [−1,1]. For each image
// OUT.f32 gets regressors [896×16] then classificators [896] (raw logits),
// each the stride-16 head (512 anchors) followed by the stride-32 head (384),
// the order of the ONNX model's outputs.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const { loadGraphModel } = require('@tensorflow/tfjs-converter');
const io = require('./io.cjs');

const SIZE = 256;

// load reads model.json and its shards from disk into an in-memory
// IOHandler: the converter's HTTP/file loaders are not used in Node here.
async function load(modelPath) {
  const model = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  const dir = path.dirname(modelPath);
  const specs = [];
  const shards = [];
  for (const group of model.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) shards.push(fs.readFileSync(path.join(dir, p)));
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  return loadGraphModel(tf.io.fromMemory({
    modelTopology: model.modelTopology,
    weightSpecs: specs,
    weightData,
    format: model.format,
    generatedBy: model.generatedBy,
    convertedBy: model.convertedBy,
    userDefinedMetadata: model.userDefinedMetadata,
  }));
}

async function main() {
  const a = io.args();
  await tf.setBackend('cpu');
  await tf.ready();
  const net = await load(path.join(a.cacheDir, 'human-models', 'package', 'models', 'blazeface.json'));
  const input = io.readInput(a.inPath);
  const per = SIZE * SIZE * 3;
  if (input.length !== a.n * per) {
    throw new Error(`IN.f32 holds ${input.length} floats, want ${a.n} × ${per}`);
  }
  // Identity_2/Identity_3 are regressors_1/_2, Identity/Identity_1 are
  // classificators_1/_2 (stride 16 first): see the graph's Reshape nodes.
  const names = ['Identity_2:0', 'Identity_3:0', 'Identity:0', 'Identity_1:0'];
  const parts = [];
  for (let i = 0; i < a.n; i++) {
    const x = tf.tensor4d(input.subarray(i * per, (i + 1) * per), [1, SIZE, SIZE, 3]);
    const outs = net.execute(x, names);
    const [r16, r32, c16, c32] = await Promise.all(outs.map((t) => t.data()));
    if (r16.length !== 512 * 16 || r32.length !== 384 * 16 || c16.length !== 512 || c32.length !== 384) {
      throw new Error(`unexpected output sizes ${[r16.length, r32.length, c16.length, c32.length]}`);
    }
    parts.push(r16, r32, c16, c32);
    tf.dispose([x, ...outs]);
  }
  io.writeOutput(a.outPath, parts);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
