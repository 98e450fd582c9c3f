#!/usr/bin/env node
// Builds the native addon with cmake-js against LibTorch (npm's install script).
// Without --force, an installed package whose prebuild (or earlier build) loads is left as it is.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { findLibTorch } = require('./torch-paths');

const root = path.resolve(__dirname, '..');
const force = process.argv.includes('--force');

function fail(message) {
  console.error(`\nvgg2-torch: ${message}\n`);
  process.exit(1);
}

function loadsAlready() {
  if (!fs.existsSync(path.join(root, 'prebuilds'))) return false;
  try {
    require('node-gyp-build')(root);
    return true;
  } catch {
    return false;
  }
}

if (!force && loadsAlready()) {
  console.error('vgg2-torch: using the prebuilt addon');
  process.exit(0);
}

const env = { ...process.env };
try {
  findLibTorch(env);
} catch (err) {
  fail(err.message);
}
env.CMAKE_BUILD_PARALLEL_LEVEL = env.CMAKE_BUILD_PARALLEL_LEVEL || String(os.cpus().length);
const args = [
  require.resolve('cmake-js/bin/cmake-js'),
  'compile',
  '--directory',
  root,
  '--out',
  path.join(root, 'build'),
];
if (env.Torch_DIR) args.push(`--CDTorch_DIR=${env.Torch_DIR}`);
const result = spawnSync(process.execPath, args, { stdio: 'inherit', env, cwd: root });
if (result.status !== 0) {
  fail(
    'building the native addon failed (see the output above). On Debian/Ubuntu the build needs\n' +
      '    sudo apt-get install build-essential cmake libtorch-dev libopenblas0-pthread\n' +
      'then `npm rebuild vgg2-torch`.',
  );
}
