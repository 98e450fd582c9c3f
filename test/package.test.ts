/**
 * The package as users get it: `npm pack`, then `npm install` of the tarball in a new project
 * outside the repo, importing it by name (CommonJS, ES module, TypeScript types through the
 * `exports` map) and training one demo step through `Trainer`. The addon comes along as a prebuild
 * (this build's, copied to prebuilds/ in a staging copy) so the test does not compile LibTorch code
 * again; the tarball must still carry every file a from-source build needs.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { repoRoot, tmpDir } from './helpers/paths';

const npm = (args: string[], cwd: string) => {
  const r = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
  if (r.status !== 0)
    throw new Error(`npm ${args.join(' ')} failed in ${cwd} (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};
const node = (args: string[], cwd: string) =>
  spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 300_000 });

let packed: string[];
let project: string;

beforeAll(() => {
  const work = tmpDir('package');
  // What `npm pack` takes from the repo (package.json's `files`), without running `prepare`.
  const list = JSON.parse(npm(['pack', '--dry-run', '--json', '--ignore-scripts'], repoRoot))[0].files.map(
    (f: { path: string }) => f.path,
  ) as string[];
  packed = list;
  const stage = path.join(work, 'stage');
  for (const f of list) fs.cpSync(path.join(repoRoot, f), path.join(stage, f));
  fs.cpSync(
    path.join(repoRoot, 'build', 'Release', 'vgg2_torch.node'),
    path.join(stage, 'prebuilds', 'linux-x64', 'node.napi.node'),
  );
  const tgz = npm(['pack', '--ignore-scripts', '--pack-destination', work], stage).trim().split('\n').pop()!;
  project = path.join(work, 'user-project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  // Tarballs come from npm's cache (filled by `npm ci`); only the registry's metadata may be fetched.
  npm(['install', '--prefer-offline', '--no-package-lock', path.join(work, tgz)], project);
}, 600_000);

test('the tarball carries what a from-source build needs (CMakeLists.txt, cmake/, native/, binding.gyp)', () => {
  const tracked = spawnSync('git', ['ls-files', 'CMakeLists.txt', 'binding.gyp', 'cmake', 'native', 'scripts'], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .stdout.trim()
    .split('\n');
  expect(tracked).toContain('cmake/FindLibTorch.cmake');
  expect(tracked.filter((f) => !packed.includes(f))).toEqual([]);
  expect(packed).toContain('dist/lib/index.d.ts');
  expect(packed.filter((f) => f.startsWith('test/') || f.startsWith('dist/test/') || f.startsWith('build/'))).toEqual(
    [],
  );
});

test('require("vgg2-torch") trains one demo step through Trainer; deep imports of dist/ are closed', () => {
  fs.writeFileSync(
    path.join(project, 'train.js'),
    `
const { Trainer, writeDemoDataset, info, Model } = require('vgg2-torch');
(async () => {
  if (typeof Model.create !== 'function' || !info().libtorch) throw new Error('no Model / info');
  await writeDemoDataset({ out: 'demo', identities: 3, images: 6, size: 48, seed: 1 });
  const trainer = new Trainer({ data: 'demo', out: 'run', inputSize: 32, batchSize: 4, epochs: 1, maxSteps: 1,
    amp: 'off', threads: 2, workers: 1, seed: 0, holdoutPerClass: 1 });
  const r = await trainer.fit();
  console.log(JSON.stringify({ status: r.status, step: trainer.state.step }));
})().catch((e) => { console.error(e); process.exit(1); });
`,
  );
  const r = node(['train.js'], project);
  expect(r.stderr).not.toMatch(/Error/);
  expect(r.status).toBe(0);
  expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ status: 'complete', step: 1 });
  expect(fs.existsSync(path.join(project, 'run', 'model.safetensors'))).toBe(true);
  // The install used the prebuild: nothing was compiled.
  expect(fs.existsSync(path.join(project, 'node_modules', 'vgg2-torch', 'build'))).toBe(false);
  const deep = node(['-e', "require('vgg2-torch/dist/lib/model')"], project);
  expect(deep.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
});

test('import from an ES module: the named exports of the root', () => {
  fs.writeFileSync(
    path.join(project, 'names.mjs'),
    `
import { Trainer, Model, info, embedDataset, pairsListProtocol, openDataset, Loader } from 'vgg2-torch';
console.log(JSON.stringify([Trainer, Model, info, embedDataset, pairsListProtocol, openDataset, Loader].map((f) => typeof f)));
`,
  );
  const r = node(['names.mjs'], project);
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual(Array(7).fill('function'));
});

test('TypeScript resolves the types through the exports map (node16 resolution)', () => {
  fs.writeFileSync(
    path.join(project, 'use.ts'),
    `
import { Trainer, Model, type TrainConfigInput } from 'vgg2-torch';
const config: TrainConfigInput = { data: 'demo', out: 'run', epochs: 1 };
export const t: Trainer = new Trainer(config);
export const m: Promise<Model> = Model.create({ numClasses: 2 });
`,
  );
  fs.writeFileSync(
    path.join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        module: 'node16',
        moduleResolution: 'node16',
        target: 'es2022',
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [path.join(repoRoot, 'node_modules', '@types')],
      },
      files: ['use.ts'],
    }),
  );
  const tsc = require.resolve('typescript/bin/tsc', { paths: [repoRoot] });
  const r = node([tsc, '-p', 'tsconfig.json'], project);
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});
