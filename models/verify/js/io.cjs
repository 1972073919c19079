// Shared I/O of the source-runtime scripts run by `make models-verify`.
//
// Every script is called as
//   node <script>.cjs CACHE_DIR IN.f32 N OUT.f32
// CACHE_DIR is models/cache (the fetched packages); IN.f32 holds N input
// tensors, NHWC float32 little-endian, already preprocessed exactly as the
// converted ONNX model's input (only the layout differs); the script writes
// to OUT.f32, for each image in turn, every output of the source model
// flattened, in the order models/verify/specs.toml lists them.
'use strict';
const fs = require('fs');

function args() {
  const [cacheDir, inPath, n, outPath] = process.argv.slice(2);
  if (!cacheDir || !inPath || !n || !outPath) {
    console.error('usage: node SCRIPT CACHE_DIR IN.f32 N OUT.f32');
    process.exit(2);
  }
  return { cacheDir, inPath, n: Number(n), outPath };
}

// readInput returns the N×H×W×C float32 array of IN.f32.
function readInput(inPath) {
  const buf = fs.readFileSync(inPath);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
}

// writeOutput writes the concatenation of Float32Arrays (or plain arrays).
function writeOutput(outPath, parts) {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const all = new Float32Array(total);
  let off = 0;
  for (const p of parts) { all.set(p, off); off += p.length; }
  fs.writeFileSync(outPath, Buffer.from(all.buffer));
}

module.exports = { args, readInput, writeOutput };
