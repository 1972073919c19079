// Faithful source runtime of the tiny test model.
'use strict';
require('./tiny.cjs').run();
