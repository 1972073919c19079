// A wrong "conversion": output lin of the third image is off, so the
// harness must report that output (and only it) as failing.
'use strict';
require('./tiny.cjs').run((i, out) => {
  if (i === 2) out.lin[0] += 0.5 * Math.abs(out.lin[1]) + 0.5;
});
