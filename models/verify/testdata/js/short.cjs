// A source runtime that writes one value too few.
'use strict';
const io = require('../../js/io.cjs');
const a = io.args();
io.writeOutput(a.outPath, [new Float32Array(a.n * 7 - 1)]);
