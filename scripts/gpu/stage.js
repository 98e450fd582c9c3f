// The compiled library the GPU check runs: from the carried stage folder (scripts/gpu-pack.sh
// makes it: dist/, package.json, the header and loader packages, the addon built in build/), so
// the GPU machine needs no npm, no TypeScript and no node_modules of its own.
'use strict';
const path = require('path');

const stage = path.resolve(process.env.VGG2_GPU_STAGE || path.join(__dirname, '..', '..', '.gpu'));

/** require() of a compiled module of lib/, e.g. lib('model'). */
function lib(name) {
  return require(path.join(stage, 'dist', 'lib', name));
}

/** --key value flags into an object (numbers where they parse; bare flags are true). */
function flags(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument '${argv[i]}'`);
    const key = argv[i].slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out[key] = true;
    else {
      out[key] = Number.isFinite(Number(next)) ? Number(next) : next;
      i++;
    }
  }
  return out;
}

/** A fixed uint8 NHWC batch of seeded noise and its labels (i % classes). */
function noiseBatch(n, size, classes, seed = 1) {
  const rand = lib('random').mulberry32(seed);
  const x = new Uint8Array(n * size * size * 3);
  for (let i = 0; i < x.length; i++) x[i] = Math.floor(rand() * 256);
  const labels = Int32Array.from({ length: n }, (_, i) => i % classes);
  return { x, labels, shape: [n, size, size, 3] };
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

module.exports = { stage, lib, flags, noiseBatch, median };
