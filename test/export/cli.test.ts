/** `vgg2-torch export` as users run it: help, a real export, and the errors of bad flags. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { tinyWeights } from '../eval/helpers';
import { removeTmpDirs, repoRoot, tmpDir } from '../helpers/paths';

jest.setTimeout(120_000);
afterAll(removeTmpDirs);

const cli = path.join(repoRoot, 'bin', 'vgg2-torch.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'export', ...args], { encoding: 'utf8' });

test('export --help names every flag', () => {
  const r = run('--help');
  expect(r.status).toBe(0);
  for (const flag of ['--weights', '--format', '--out', '--dynamic-batch', '--batch', '--opset'])
    expect(r.stdout).toContain(flag);
});

test('export writes the ONNX file and reports it; bad flags are one-line errors', async () => {
  const dir = tmpDir('export-cli');
  const weights = await tinyWeights(path.join(dir, 'w.safetensors'));
  const out = path.join(dir, 'models', 'w.onnx');
  const json = path.join(dir, 'export.json');
  const ok = run('--weights', weights, '--out', out, '--dynamic-batch', '--json', json);
  expect(ok.status).toBe(0);
  expect(ok.stderr).toMatch(/w\.onnx: ONNX opset 17, .* 53 BatchNorms folded/);
  expect(ok.stderr).toMatch(/input \[batch, 32, 32, 3\] float32 NHWC RGB 0\.\.255/);
  const result = JSON.parse(fs.readFileSync(json, 'utf8'));
  expect(result.outputs.map((o: { name: string }) => o.name)).toEqual(['logits', 'features', 'embedding']);
  expect(result.bytes).toBe(fs.statSync(out).size);

  const other = path.join(dir, 'other.onnx');
  const bad: [string[], RegExp][] = [
    [['--format', 'tflite'], /--format tflite: unknown format; vgg2-torch exports onnx/],
    [['--opset', '9'], /--opset must be an integer from 11 to 21, got 9/],
    [['--dynamic-batch', '--batch', '4'], /--batch fixes the batch size; --dynamic-batch leaves it open/],
    [
      ['--weights', path.join(dir, 'none.safetensors')],
      /none\.safetensors: cannot read the weights file: no such file/,
    ],
    [['--out', dir], /--out .*: is a folder; give a file name/],
  ];
  for (const [flags, message] of bad) {
    // The flags under test replace the good ones.
    const given = new Set(flags.filter((f) => f === '--weights' || f === '--out'));
    const base = ['--weights', weights, '--out', other].filter((_, i, a) => !given.has(a[i]) && !given.has(a[i - 1]));
    const r = run(...base, ...flags);
    expect([r.status, r.stderr.trim().split('\n').pop()]).toEqual([1, expect.stringMatching(message)]);
  }
  const twice = run('--weights', weights, '--out', other, '--out', out);
  expect([twice.status, twice.stderr.trim()]).toEqual([1, expect.stringMatching(/--out is given more than once/)]);
  expect(fs.existsSync(other)).toBe(false);
});
