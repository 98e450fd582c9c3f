#!/usr/bin/env bash
# Opt-in check (`npm run test:prebuild`, ~5 min on 2 cores): `npm run prebuild` makes
# prebuilds/linux-x64/*.node with node-gyp, and that prebuild alone (PREBUILDS_ONLY=1) loads and
# runs a forward pass.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run prebuild
PREBUILDS_ONLY=1 node -e "
const gyp = require('node-gyp-build');
const file = gyp.path('.');
if (!/prebuilds/.test(file)) throw new Error('loaded ' + file + ', not a prebuild');
const b = gyp('.');
b.createEngine({ numClasses: 3 })
  .then((e) => e.forward(new Uint8Array(2 * 32 * 32 * 3), [2, 32, 32, 3]))
  .then((o) => { if (o.logits.length !== 6) throw new Error('bad output'); console.log('prebuild OK: ' + file + ' loads alone and runs a forward pass'); })
  .catch((e) => { console.error('prebuild check FAILED: ' + e.message); process.exit(1); });
"
