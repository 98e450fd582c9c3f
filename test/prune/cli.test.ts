/** `vgg2-torch prune` as users run it: help, a real prune with its report, and bad flags and files. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describeWeights, Model } from '../../lib/model';
import { tinyWeights } from '../eval/helpers';
import { removeTmpDirs, repoRoot, tmpDir } from '../helpers/paths';

jest.setTimeout(120_000);
afterAll(removeTmpDirs);

const cli = path.join(repoRoot, 'bin', 'vgg2-torch.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'prune', ...args], { encoding: 'utf8' });

test('prune --help names every flag', () => {
  const r = run('--help');
  expect(r.status).toBe(0);
  for (const flag of ['--weights', '--ratio', '--criterion', '--multiple', '--out', '--json'])
    expect(r.stdout).toContain(flag);
});

test('prune writes the smaller model and reports it; bad flags and files are one-line errors', async () => {
  const dir = tmpDir('prune-cli');
  const weights = await tinyWeights(path.join(dir, 'w.safetensors'));
  const out = path.join(dir, 'models', 'w-pruned.safetensors');
  const json = path.join(dir, 'prune.json');
  const ok = run('--weights', weights, '--ratio', '0.3', '--criterion', 'l1', '--out', out, '--json', json);
  expect(ok.status).toBe(0);
  expect(ok.stderr).toMatch(/w-pruned\.safetensors: resnet50, 2266 of 7552 inner channels removed \(l1\)/);
  expect(ok.stderr).toMatch(/fine-tune it: vgg2-torch train --arch resnet50 --init .*w-pruned\.safetensors/);
  const result = JSON.parse(fs.readFileSync(json, 'utf8'));
  expect(result).toMatchObject({ arch: 'resnet50', ratio: 0.3, criterion: 'l1', bytes: fs.statSync(out).size });
  expect(result.parametersAfter).toBeLessThan(0.8 * result.parametersBefore);
  expect(result.innerWidths.slice(0, 2)).toEqual([45, 45]);
  expect((await describeWeights(out)).innerWidths).toEqual(result.innerWidths);

  const notModel = path.join(dir, 'notes.txt');
  fs.writeFileSync(notModel, 'not a model\n');
  const mfn = path.join(dir, 'mfn.safetensors');
  const m = await Model.create({ arch: 'mobilefacenet', numClasses: 3 });
  await m.save(mfn);
  m.dispose();
  const other = path.join(dir, 'other.safetensors');
  const bad: [string[], RegExp][] = [
    [['--weights', weights, '--ratio', '0'], /--ratio must be a number in \(0, 1\).*got 0/],
    [['--weights', weights, '--ratio', '1.2'], /--ratio must be a number in \(0, 1\).*got 1\.2/],
    [['--weights', weights, '--ratio', '0.3', '--criterion', 'taylor'], /Invalid values:.*criterion.*taylor/s],
    [['--weights', weights, '--ratio', '0.3', '--multiple', '0'], /--multiple must be an integer from 1 to 64/],
    [['--weights', notModel, '--ratio', '0.3'], /notes\.txt.*is not a weights file/],
    [['--weights', mfn, '--ratio', '0.3'], /channel pruning exists for the ResNets .* not mobilefacenet/],
    [['--weights', path.join(dir, 'none.safetensors'), '--ratio', '0.3'], /cannot read the weights file: no such file/],
  ];
  for (const [flags, message] of bad) {
    const r = run(...flags, '--out', other);
    expect([r.status, r.stderr]).toEqual([1, expect.stringMatching(message)]);
    expect(r.stderr).not.toMatch(/^\s+at /m); // a message, not a stack
  }
  expect(fs.existsSync(other)).toBe(false);
});
