/** The public API from users' own code (issue 18.12): ES module imports and typed Trainer events. */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { repoRoot, tmpDir } from '../helpers/paths';

/** A project outside the repo with the package linked in as node_modules/vgg2-torch. */
function project(): string {
  const dir = tmpDir('api');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(repoRoot, path.join(dir, 'node_modules', 'vgg2-torch'), 'dir');
  return dir;
}

test('the package root and its train/eval/data entries import from an ES module and from CommonJS alike', () => {
  const dir = project();
  fs.writeFileSync(
    path.join(dir, 'a.mjs'),
    [
      "import { Trainer, Model } from 'vgg2-torch';",
      "import * as train from 'vgg2-torch/train';",
      "import * as evaluation from 'vgg2-torch/eval';",
      "import * as data from 'vgg2-torch/data';",
      "import { createRequire } from 'module';",
      "const cjs = createRequire(import.meta.url)('vgg2-torch');",
      'console.log(JSON.stringify([typeof Trainer, typeof Model, train.Trainer === Trainer, cjs.Trainer === Trainer,',
      '  Object.keys(evaluation).length > 0, Object.keys(data).length > 0]));',
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, ['a.mjs'], { cwd: dir, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual(['function', 'function', true, true, true, true]);
});

/**
 * Type-checks `code` as use.ts of a strict consumer project with no Node types of its own
 * (types: [], no typeRoots): only what the package itself declares. Returns tsc's output.
 */
function typecheck(dir: string, code: string): string {
  const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const compilerOptions = {
    strict: true,
    noEmit: true,
    module: 'node16',
    moduleResolution: 'node16',
    target: 'es2022',
    types: [],
  };
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['use.ts'] }));
  fs.writeFileSync(path.join(dir, 'use.ts'), code);
  const r = spawnSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8' });
  return r.stdout + r.stderr;
}

test("Trainer.on('step' | 'eval' | 'log') listeners are typed in a strict consumer project", () => {
  const dir = project();
  const good = [
    "import { Trainer, type StepEvent, type EvalEvent } from 'vgg2-torch';",
    'export function watch(t: Trainer): void {',
    "  t.on('step', (e) => { const s: StepEvent = e; console.log(s.window.imagesPerS.toFixed(1), e.loss); });",
    "  t.on('eval', (r) => { const x: EvalEvent = r; console.log(x.valTop1, x.imagesPerS); });",
    "  t.on('log', (m) => console.log(m.toUpperCase()));",
    '}',
  ].join('\n');
  expect(typecheck(dir, good)).toBe('');
  // A listener of the wrong type must not compile: the events are not `any`.
  expect(typecheck(dir, good.replace('m.toUpperCase()', 'm.toFixed(2)'))).toMatch(
    /toFixed.*does not exist on type 'string'/,
  );
});

test('a strict TypeScript project without Node types of its own compiles against the package', () => {
  const code = [
    "import { Model, Trainer, type EvalEvent } from 'vgg2-torch';",
    'export async function run(): Promise<number> {',
    '  const t = new Trainer({ demo: true, epochs: 1 });',
    "  t.on('eval', (r: EvalEvent) => r.valTop1);",
    "  const m = await Model.create({ arch: 'resnet50', numClasses: 2 });",
    '  m.dispose();',
    '  return m.inputSize;',
    '}',
  ].join('\n');
  expect(typecheck(project(), code)).toBe('');
});
