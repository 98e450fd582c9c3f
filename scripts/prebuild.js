#!/usr/bin/env node
// `npm run prebuild`: prebuildify (node-gyp + binding.gyp) -> prebuilds/linux-x64/*.node, built
// against the LibTorch that scripts/torch-paths.js finds. node-gyp wipes build/, where cmake-js
// builds, so prebuildify runs in a copy of the sources and only prebuilds/ comes back.
// Node headers come from the local Node (--nodedir=/usr): nodejs.org may be unreachable.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-prebuild-'));
const nodedir = process.env.npm_config_nodedir || (fs.existsSync('/usr/include/node/node_api.h') ? '/usr' : '');
try {
  for (const entry of ['package.json', 'binding.gyp', 'native', 'scripts']) {
    fs.cpSync(path.join(root, entry), path.join(work, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'), 'dir');
  const env = { ...process.env, JOBS: String(os.cpus().length) };
  if (nodedir) env.npm_config_nodedir = nodedir;
  console.error(
    `vgg2-torch prebuild: prebuildify --napi --strip in ${work}${nodedir ? ` (node headers from ${nodedir})` : ''}`,
  );
  const bin = require.resolve('prebuildify/bin.js', { paths: [root] });
  const r = spawnSync(process.execPath, [bin, '--napi', '--strip'], { cwd: work, env, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('vgg2-torch prebuild: prebuildify failed (see above)');
    process.exit(r.status || 1);
  }
  fs.cpSync(path.join(work, 'prebuilds'), path.join(root, 'prebuilds'), { recursive: true });
  for (const f of fs.readdirSync(path.join(root, 'prebuilds'), { recursive: true }))
    console.log(path.join('prebuilds', String(f)));
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
