/** The progress line and metrics.jsonl print the same numbers, defined once (issue 18.5). */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { repoRoot, tmpDir } from '../helpers/paths';

const BIN = path.join(repoRoot, 'bin', 'vgg2-torch.js');

test('at each log step the progress line shows the metrics.jsonl record; train --help has the legend', () => {
  const out = path.join(tmpDir('progress'), 'run');
  const args = [
    '--demo',
    '--out',
    out,
    '--max-steps',
    '2',
    '--log-every',
    '1',
    '--input-size',
    '32',
    '--batch-size',
    '2',
  ];
  const r = spawnSync(process.execPath, [BIN, 'train', ...args, '--progress', 'lines'], { encoding: 'utf8' });
  // Not the exit status: batch 2 at 32 px leaves BatchNorm's last stage 2 values per channel, whose
  // running statistics blow up, so the end-of-run evaluation may overflow; the run warns of that at
  // the start, and the records and progress lines before it are what is compared here.
  expect(r.stderr).toContain(
    'warning: BatchNorm in the last stage sees 2 values per channel (batch 2 × 1² at input 32)',
  );
  if (r.status !== 0) expect(r.stderr).toMatch(/BatchNorm statistics overflow .* larger --batch-size/);
  const records = fs
    .readFileSync(path.join(out, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((x) => x.type === 'train');
  expect(records.map((x) => x.step)).toEqual([1, 2]);
  for (const x of records) {
    const line = `step ${x.step}/2 ${x.images_per_s.toFixed(1)} img/s loss ${x.loss.toFixed(4)} top-1 ${(100 * x.top1).toFixed(1)}%`;
    expect(r.stderr).toContain(line);
  }
  const help = spawnSync(process.execPath, [BIN, 'train', '--help'], { encoding: 'utf8' }).stdout;
  expect(help).toMatch(/Progress line: epoch E\/N step S\/T/);
  expect(help).toMatch(/exactly the numbers of the "train" record in metrics.jsonl/);
});

test('prepare and check-data into a file (not a terminal): plain lines, no \\r redraws', () => {
  const dir = tmpDir('progress');
  const data = path.join(dir, 'demo');
  const run = (args: string[]) =>
    spawnSync(process.execPath, [BIN, ...args], {
      encoding: 'utf8',
      env: { ...process.env, VGG2_PROGRESS_EVERY_MS: '0' },
    });
  expect(run(['demo-data', '--out', data, '--identities', '3', '--images', '6', '--size', '64']).status).toBe(0);
  const check = run(['check-data', '--data', data]);
  expect(check.status).toBe(0);
  expect(check.stderr).not.toContain('\r');
  expect(check.stderr).toMatch(/^check-data: 1\/18 images$/m);
  expect(check.stderr).toMatch(/^check-data: 18\/18 images$/m);
  const prepare = run(['prepare', '--data', data, '--out', path.join(dir, 'c.lmdb'), '--size', '48']);
  expect(prepare.status).toBe(0);
  expect(prepare.stderr).not.toContain('\r');
  expect(prepare.stderr).toMatch(/^prepare: 12\/12 \(100\.0%\) \d+ img\/s$/m);
});
