/** The build's LibTorch discovery: the order it looks in, and the message when there is none. */
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { repoRoot, tmpDir } from './helpers/paths';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findLibTorch } = require('../scripts/torch-paths.js');

test('no LibTorch anywhere: the message names both ways to get one', () => {
  expect(() => findLibTorch({}, () => false)).toThrow(/apt-get install libtorch-dev[\s\S]*LIBTORCH=/);
});

test('LIBTORCH wins over Debian, then Torch_DIR, then Debian', () => {
  const all = () => true;
  expect(findLibTorch({ LIBTORCH: '/opt/libtorch' }, all).cmakeDir).toBe('/opt/libtorch/share/cmake/Torch');
  expect(findLibTorch({ Torch_DIR: '/opt/t/share/cmake/Torch' }, (p: string) => p.startsWith('/opt/t')).kind).toBe(
    'Torch_DIR',
  );
  expect(findLibTorch({}, (p: string) => p.startsWith('/usr/lib/x86_64-linux-gnu/cmake/Torch')).kind).toBe('debian');
});

test('a LIBTORCH that is not a LibTorch folder fails the real install script with that message, before any compiling', () => {
  const empty = tmpDir('no-torch');
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-native.js'), '--force'], {
    env: { ...process.env, LIBTORCH: empty },
    encoding: 'utf8',
  });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`LIBTORCH=${empty} is not a LibTorch folder`));
  expect(r.stderr).toMatch(/apt-get install libtorch-dev/);
});

test('the addon loads LibTorch through its RPATH / system paths, without LD_LIBRARY_PATH', () => {
  const env = { ...process.env };
  delete env.LD_LIBRARY_PATH;
  const r = spawnSync(
    process.execPath,
    ['-e', `console.log(require('node-gyp-build')(${JSON.stringify(repoRoot)}).torchVersion)`],
    { env, encoding: 'utf8' },
  );
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toMatch(/^\d+\.\d+/);
});

describe('load failures say what to do', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadBinding } = require('../lib/native');

  test('an addon built against another LibTorch version (its libtorch.so.X is absent) names it and how to rebuild', () => {
    const root = tmpDir('other-torch');
    fs.mkdirSync(path.join(root, 'build', 'Release'), { recursive: true });
    const addon = path.join(root, 'build', 'Release', 'vgg2_torch.node');
    fs.copyFileSync(path.join(repoRoot, 'build', 'Release', 'vgg2_torch.node'), addon);
    // Re-point its LibTorch dependency at a version this machine does not have, as a binary built
    // on a machine with LibTorch 1.99 would be.
    const needed = spawnSync('readelf', ['-d', addon], { encoding: 'utf8' }).stdout.match(
      /\[(libtorch\.so[^\]]*)\]/,
    )![1];
    const r = spawnSync('patchelf', ['--replace-needed', needed, 'libtorch.so.1.99', addon], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(() => loadBinding(root)).toThrow(
      /built against a LibTorch that can't be found now \(libtorch\.so\.1\.99[\s\S]*npm rebuild vgg2-torch/,
    );
  });

  test('no build at all: says the install script did not run and the command that builds it', () => {
    const root = tmpDir('no-build');
    fs.writeFileSync(path.join(root, 'package.json'), '{"name":"vgg2-torch"}');
    expect(() => loadBinding(root)).toThrow(/native addon is not built[\s\S]*npm rebuild vgg2-torch/);
  });
});

test("OpenBLAS loads with its threads' spin cut to 2^16 cycles; the variable is not left to child processes; a user's value is kept", () => {
  const probe = (env: NodeJS.ProcessEnv) =>
    spawnSync(
      process.execPath,
      [
        '-e',
        `const { native } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'lib', 'native.js'))});
         const before = process.env.OPENBLAS_THREAD_TIMEOUT;
         native();
         console.log(JSON.stringify({ before: before ?? null, after: process.env.OPENBLAS_THREAD_TIMEOUT ?? null,
           child: require('child_process').execSync('printenv OPENBLAS_THREAD_TIMEOUT || true').toString().trim() }));`,
      ],
      { env, encoding: 'utf8' },
    );
  const env = { ...process.env };
  delete env.OPENBLAS_THREAD_TIMEOUT;
  const own = probe(env);
  expect(own.stderr).toBe('');
  // Set only while the addon (and Debian's LibTorch's OpenBLAS with it) loads: OpenBLAS reads it then.
  expect(JSON.parse(own.stdout)).toEqual({ before: null, after: null, child: '' });
  const user = probe({ ...env, OPENBLAS_THREAD_TIMEOUT: '20' });
  expect(JSON.parse(user.stdout)).toEqual({ before: '20', after: '20', child: '20' });
});
