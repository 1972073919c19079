// A source runtime that fails the way a broken script does.
'use strict';
console.error('tiny source model: weights not found');
process.exit(3);
