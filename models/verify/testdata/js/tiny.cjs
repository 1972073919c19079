// The "source runtime" of the harness tests' tiny model, computed from the
// NHWC input exactly as the ONNX graph built in verify_test.go does it:
//   mean[c] = average of channel c
//   lin     = W·mean + B
//   pos     = [Σ x·row, Σ x·col/(1+c)]   (catches a swapped H/W or channel)
'use strict';
const W = [[0.5, -1, 2], [1.5, 0.25, -0.75]];
const B = [0.1, -0.2];

function tiny(img, size) {
  const mean = [0, 0, 0];
  const pos = [0, 0];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        const v = img[(y * size + x) * 3 + c];
        mean[c] += v / (size * size);
        pos[0] += v * y;
        pos[1] += v * x / (1 + c);
      }
    }
  }
  const lin = W.map((row, o) => row.reduce((s, w, c) => s + w * mean[c], B[o]));
  return { mean, lin, pos };
}

// run reads the images, applies tiny and lets edit change the outputs of
// image i before they are written.
function run(edit) {
  const io = require('../../js/io.cjs');
  const a = io.args();
  const input = io.readInput(a.inPath);
  const size = Math.round(Math.sqrt(input.length / a.n / 3));
  const parts = [];
  for (let i = 0; i < a.n; i++) {
    const out = tiny(input.subarray(i * size * size * 3, (i + 1) * size * size * 3), size);
    if (edit) edit(i, out);
    parts.push(out.mean, out.lin, out.pos);
  }
  io.writeOutput(a.outPath, parts);
}

module.exports = { run };
