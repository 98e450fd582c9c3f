/**
 * A fine-tuned model carries the new run's class names (issue 18.1): 9 → 5 and 5 → 9 ORL people
 * (subsets linked into a tmp dir), then embed, verify and eval classify run with the result.
 */
import fs from 'fs';
import path from 'path';
import { runCli } from '../helpers/cli';
import { dataDir, haveReference, tmpDir } from '../helpers/paths';
import { readSafetensors } from '../helpers/safetensors';

const orl = path.join(dataDir, 'orl');
const haveOrl = haveReference(orl, fs.existsSync(path.join(orl, 's1')));
const orlTest = haveOrl ? test : test.skip;
let root: string;

const run = (args: string[]) => runCli(args, root);

/** An image folder of ORL people s<first>..s<first+n-1>, as links. */
function subset(name: string, first: number, n: number): { dir: string; names: string[] } {
  const dir = path.join(root, name);
  fs.mkdirSync(dir);
  const names = Array.from({ length: n }, (_, i) => `s${first + i}`);
  for (const p of names) fs.symlinkSync(path.join(orl, p), path.join(dir, p));
  return { dir, names };
}

const small = [
  '--input-size',
  '32',
  '--batch-size',
  '4',
  '--max-steps',
  '1',
  '--holdout-per-class',
  '2',
  '--threads',
  '1',
];
const classNames = (file: string) => JSON.parse(readSafetensors(file).metadata.class_names) as string[];

beforeAll(() => {
  root = tmpDir('finetune-names');
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

orlTest('9 → 5 and 5 → 9 people: the fine-tuned model has the new names; embed, verify and eval use it', () => {
  const nine = subset('nine', 1, 9);
  const five = subset('five', 20, 5);
  run(['train', '--data', nine.dir, '--out', 'run-nine', ...small]);
  run(['train', '--data', five.dir, '--out', 'run-five', ...small]);
  const sorted = (a: string[]) => [...a].sort();
  expect(sorted(classNames(path.join(root, 'run-nine', 'model.safetensors')))).toEqual(sorted(nine.names));

  run(['train', '--data', five.dir, '--init', 'run-nine/model.safetensors', '--out', 'ft5', ...small]);
  run(['train', '--data', nine.dir, '--init', 'run-five/model.safetensors', '--out', 'ft9', ...small]);
  for (const [out, names] of [
    ['ft5', five.names],
    ['ft9', nine.names],
  ] as const) {
    const model = path.join(root, out, 'model.safetensors');
    const meta = readSafetensors(model).metadata;
    expect(sorted(classNames(model))).toEqual(sorted(names));
    expect(Number(meta.num_classes)).toBe(names.length);
    run(['embed', '--weights', model, '--data', out === 'ft5' ? five.dir : nine.dir, '--out', `${out}.npy`]);
    expect(fs.statSync(path.join(root, `${out}.npy`)).size).toBeGreaterThan(0);
    const a = path.join(orl, names[0], '1.png');
    const b = path.join(orl, names[0], '2.png');
    const v = run(['verify', a, b, '--weights', model, '--json']);
    expect(JSON.parse(v.stdout).similarity).toEqual(expect.any(Number));
    const e = run([
      'eval',
      '--weights',
      model,
      '--data',
      out === 'ft5' ? five.dir : nine.dir,
      '--protocol',
      'classify',
    ]);
    expect(e.stdout + e.stderr).toMatch(new RegExp(`classes +${names.length}\\n.*top1 +\\d`, 's'));
    expect(e.stderr).not.toMatch(/not an image/);
  }
});
