// Prints info() as one JSON line: what the built addon sees (LibTorch, CUDA, devices, settings).
'use strict';
const { lib } = require('./stage');

console.log(JSON.stringify(lib('info').info()));
