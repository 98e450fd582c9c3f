#!/usr/bin/env node
// Where LibTorch is, in the order the CMake build looks: $LIBTORCH (a libtorch folder or a Python
// torch package), Torch_DIR / CMAKE_PREFIX_PATH, then Debian's libtorch-dev. Used by build-native.js
// (to fail early with a clear message) and by binding.gyp (node-gyp has no find_package).
//   node scripts/torch-paths.js include|libs|libdir
'use strict';
const fs = require('fs');
const path = require('path');

const DEBIAN_CMAKE = '/usr/lib/x86_64-linux-gnu/cmake/Torch';

const NOT_FOUND =
  'LibTorch not found. Install it with\n' +
  '    sudo apt-get install libtorch-dev libopenblas0-pthread\n' +
  "or point LIBTORCH at a LibTorch folder (e.g. PyTorch's CUDA LibTorch, or\n" +
  "    LIBTORCH=$(python3 -c 'import torch,os; print(os.path.dirname(torch.__file__))')\n" +
  '), then run `npm rebuild vgg2-torch` (or `npm run build:native` in a clone).';

/** { kind, cmakeDir, include[], libdir } or throws with the message above. */
function findLibTorch(env = process.env, exists = fs.existsSync) {
  if (env.LIBTORCH) {
    const root = path.resolve(env.LIBTORCH);
    if (!exists(path.join(root, 'share/cmake/Torch/TorchConfig.cmake'))) {
      throw new Error(
        `LIBTORCH=${env.LIBTORCH} is not a LibTorch folder (no share/cmake/Torch/TorchConfig.cmake in it). ${NOT_FOUND}`,
      );
    }
    return {
      kind: 'LIBTORCH',
      cmakeDir: path.join(root, 'share/cmake/Torch'),
      include: [path.join(root, 'include'), path.join(root, 'include/torch/csrc/api/include')],
      libdir: path.join(root, 'lib'),
    };
  }
  const prefixes = [env.Torch_DIR, ...(env.CMAKE_PREFIX_PATH || '').split(':')].filter(Boolean);
  for (const p of prefixes) {
    for (const dir of [p, path.join(p, 'share/cmake/Torch'), path.join(p, 'lib/cmake/Torch')]) {
      if (exists(path.join(dir, 'TorchConfig.cmake')))
        return { kind: 'Torch_DIR', cmakeDir: dir, include: [], libdir: '' };
    }
  }
  if (exists(path.join(DEBIAN_CMAKE, 'TorchConfig.cmake'))) {
    return {
      kind: 'debian',
      cmakeDir: DEBIAN_CMAKE,
      include: ['/usr/include', '/usr/include/torch/csrc/api/include'],
      libdir: '/usr/lib/x86_64-linux-gnu',
    };
  }
  throw new Error(NOT_FOUND);
}

module.exports = { findLibTorch, NOT_FOUND };

if (require.main === module) {
  const t = findLibTorch();
  const what = process.argv[2];
  if (what === 'include') console.log(t.include.join(' '));
  else if (what === 'libdir') console.log(t.libdir);
  else if (what === 'libs') {
    const libs = ['torch', 'torch_cpu', 'c10', 'torch_cuda', 'c10_cuda'].filter((l) =>
      fs.existsSync(path.join(t.libdir, `lib${l}.so`)),
    );
    console.log(
      [
        `-L${t.libdir}`,
        `-Wl,-rpath,${t.libdir}`,
        '-Wl,--no-as-needed',
        ...libs.map((l) => `-l${l}`),
        '-Wl,--as-needed',
      ].join(' '),
    );
  } else console.log(JSON.stringify(t));
}
