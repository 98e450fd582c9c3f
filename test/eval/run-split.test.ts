/**
 * classify's held-out split follows the weights' training run (lib/eval/run-split.ts): a model
 * evaluated beside its run folder is scored on the images its run held out, and flags asking for
 * another split are warned about, since that split's "held-out" images were trained on.
 */
import fs from 'fs';
import path from 'path';
import { classifySplit } from '../../lib/eval/run-split';
import { runCli } from '../helpers/cli';
import { dataDir, tmpDir } from '../helpers/paths';

jest.setTimeout(240_000);
const orl = path.join(dataDir, 'orl');
let root: string;

const run = (args: string[]) => runCli(args, root);

beforeAll(() => {
  root = tmpDir('run-split');
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('eval classify scores a run’s model on the images its run held out; another split is a warning', () => {
  const five = path.join(root, 'five');
  fs.mkdirSync(five);
  for (const p of ['s1', 's2', 's3', 's4', 's5']) fs.symlinkSync(path.join(orl, p), path.join(five, p));
  // prettier-ignore
  run(['train', '--data', five, '--out', 'run', '--input-size', '32', '--batch-size', '4', '--max-steps', '1',
       '--holdout-per-class', '3', '--seed', '4', '--threads', '1']);
  const weights = path.join(root, 'run', 'model.safetensors');
  const evalArgs = ['eval', '--weights', weights, '--data', five, '--protocol', 'classify'];
  const own = run([...evalArgs, '--json']);
  expect(own.stderr).toMatch(/the held-out split of its run: 3 per identity, seed 4 \(.*run\/config\.json\)/);
  expect(own.stderr).not.toMatch(/warning/);
  // The same as asking for the run's split by hand.
  const byHand = run([...evalArgs, '--holdout', '3', '--seed', '4', '--json']);
  const metrics = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!).metrics as Record<string, unknown>;
  expect(metrics(own.stdout).images).toBe(15); // the run's 3 per person, not the default 2
  expect(metrics(byHand.stdout)).toEqual(metrics(own.stdout));
  // --split-seed keeps one split under another seed: the run's log and eval both use it.
  // prettier-ignore
  const kept = run(['train', '--data', five, '--out', 'kept', '--input-size', '32', '--batch-size', '4', '--max-steps', '1',
                    '--holdout-per-class', '3', '--seed', '1', '--split-seed', '4', '--threads', '1']);
  expect(kept.stderr + kept.stdout).toMatch(/3\/identity held out, seed 4\)/);
  const keptEval = run([
    'eval',
    '--weights',
    path.join(root, 'kept', 'model.safetensors'),
    '--data',
    five,
    '--protocol',
    'classify',
    '--json',
  ]);
  expect(keptEval.stderr).toMatch(/the held-out split of its run: 3 per identity, seed 4/);
  const other = run([...evalArgs, '--seed', '0']);
  expect(other.stderr).toMatch(
    /warning: .*model\.safetensors was trained with 3 images per identity held out by seed 4 .*--holdout 3 --seed 0 holds out images it trained on/,
  );
});

test('the split without a run folder, for other data, and for a run that held nothing out', () => {
  const dir = path.join(root, 'unit');
  fs.mkdirSync(dir, { recursive: true });
  const weights = path.join(dir, 'model.safetensors');
  // No config.json: the flags, else 2 per identity with seed 0.
  expect(classifySplit(weights, orl, {})).toEqual({ holdout: 2, seed: 0 });
  expect(classifySplit(weights, orl, { holdout: 1, seed: 7 })).toEqual({ holdout: 1, seed: 7 });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ data: orl, seed: 2, holdoutPerClass: 2 }));
  expect(classifySplit(weights, orl, {})).toMatchObject({ holdout: 2, seed: 2, note: expect.stringMatching(/seed 2/) });
  // A run that kept its split apart from its seed (--split-seed) held out by that.
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({ data: orl, seed: 2, splitSeed: 5, holdoutPerClass: 2 }),
  );
  expect(classifySplit(weights, orl, {})).toMatchObject({ holdout: 2, seed: 5, note: expect.stringMatching(/seed 5/) });
  // A run on other data says nothing about this data's split.
  expect(classifySplit(weights, path.join(dataDir, 'yale'), {})).toEqual({ holdout: 2, seed: 0 });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ data: orl, seed: 2, holdoutPerClass: 0 }));
  expect(classifySplit(weights, orl, {}).warning).toMatch(/trained on every image of .*orl \(holdoutPerClass 0/);
  fs.writeFileSync(path.join(dir, 'config.json'), '{not json');
  expect(() => classifySplit(weights, orl, {})).toThrow(/config\.json: not JSON/);
});
