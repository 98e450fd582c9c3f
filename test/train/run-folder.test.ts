/**
 * Run folders and checkpoints as bad input: an existing run is never replaced without --force, two
 * trainers never share a folder (train.lock), completion is recorded only after model.safetensors
 * is durable, checkpoint names and states are validated, a folder is made only for valid inputs,
 * runs/<name> is never reused, and the resume command works from where the user stands.
 */
import { spawnSync, spawn } from 'child_process';
import fs from 'fs';
import path from 'path';
import { writeDemoDataset } from '../../lib/data/demo';
import { Model } from '../../lib/model';
import { checkpointName, listCheckpoints, loadCheckpointFile, peekState } from '../../lib/train/checkpoint';
import { configForResume, Trainer } from '../../lib/train/trainer';
import type { TrainConfigInput } from '../../lib/train/config';
import { cliCommand } from '../../bin/commands/train';
import { repoRoot, tmpDir } from '../helpers/paths';

const cli = path.join(repoRoot, 'bin', 'vgg2-torch.js');
let root: string;
let data: string;

const tiny = (extra: Partial<TrainConfigInput>): TrainConfigInput => ({
  data,
  inputSize: 32,
  batchSize: 4,
  epochs: 1,
  maxSteps: 2,
  warmupEpochs: 0,
  holdoutPerClass: 0,
  amp: 'off',
  threads: 1,
  workers: 1,
  ...extra,
});

async function train(extra: Partial<TrainConfigInput>, resume?: true) {
  const t = new Trainer(tiny(extra), { resume });
  t.on('log', () => undefined);
  return { trainer: t, result: await t.fit() };
}

beforeAll(async () => {
  root = tmpDir('run-folder');
  data = path.join(root, 'data');
  await writeDemoDataset({ out: data, identities: 3, images: 6, size: 40, seed: 2 });
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('an existing run folder is refused without --resume or --force; --force starts afresh', async () => {
  const out = path.join(root, 'existing');
  await train({ out });
  const ckpts = listCheckpoints(path.join(out, 'checkpoints')).map((c) => c.file);
  expect(ckpts.length).toBeGreaterThan(0);
  await expect(train({ out })).rejects.toThrow(
    /already holds a run: continue it with --resume .* replace it with --force/,
  );
  // Nothing was lost.
  expect(listCheckpoints(path.join(out, 'checkpoints')).map((c) => c.file)).toEqual(ckpts);
  const r = await train({ out, force: true, maxSteps: 1 });
  expect(r.result.status).toBe('complete');
  expect(peekState(path.join(out, 'checkpoints', checkpointName(1))).done).toBe(true);
});

test('the CLI names the flag to use and exits non-zero', () => {
  const out = path.join(root, 'existing');
  const r = spawnSync(process.execPath, [cli, 'train', '--data', data, '--out', out, '--max-steps', '1'], {
    encoding: 'utf8',
  });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/already holds a run: continue it with --resume .*--force/);
});

test('a second trainer on the same folder fails at once naming the holder; a dead holder`s lock is taken over', async () => {
  const out = path.join(root, 'locked');
  fs.mkdirSync(out, { recursive: true });
  const holder = spawn('sleep', ['60']);
  try {
    fs.writeFileSync(path.join(out, 'train.lock'), `${holder.pid}\n`);
    await expect(train({ out, force: true })).rejects.toThrow(
      new RegExp(`in use by another train process \\(pid ${holder.pid}, .*train\\.lock\\)`),
    );
  } finally {
    holder.kill();
  }
  await new Promise((r) => holder.once('exit', r));
  // The holder is gone: its stale lock is taken over, and released at the end.
  const r = await train({ out, force: true, maxSteps: 1 });
  expect(r.result.status).toBe('complete');
  expect(fs.existsSync(path.join(out, 'train.lock'))).toBe(false);
});

test('a failed final save (disk full) is not recorded as complete; the resume redoes it', async () => {
  const out = path.join(root, 'final-save');
  process.env.VGG2_CHECKPOINT_FAULT = 'final-save';
  try {
    await expect(train({ out })).rejects.toThrow(/ENOSPC/);
  } finally {
    delete process.env.VGG2_CHECKPOINT_FAULT;
  }
  expect(fs.existsSync(path.join(out, 'model.safetensors'))).toBe(false);
  const newest = listCheckpoints(path.join(out, 'checkpoints'))[0];
  expect(newest.step).toBe(2);
  expect(peekState(newest.file).done).toBe(false);
  const r = await train({ out }, true);
  expect(r.result.status).toBe('complete');
  expect(fs.existsSync(path.join(out, 'model.safetensors'))).toBe(true);
  expect(peekState(listCheckpoints(path.join(out, 'checkpoints'))[0].file).done).toBe(true);
  // A complete run stays complete.
  expect((await train({ out }, true)).result.status).toBe('already-complete');
});

test('checkpoint names: absurd steps and folders named like checkpoints are not checkpoints', async () => {
  const out = path.join(root, 'names');
  await train({ out, maxSteps: 1 });
  const dir = path.join(out, 'checkpoints');
  const good = listCheckpoints(dir)[0].file;
  fs.copyFileSync(good, path.join(dir, 'ckpt-999999999999999.safetensors'));
  fs.copyFileSync(good, path.join(dir, 'ckpt-1000000000000.safetensors'));
  fs.mkdirSync(path.join(dir, checkpointName(7)));
  expect(listCheckpoints(dir).map((c) => path.basename(c.file))).toEqual([path.basename(good)]);
  // A state with a step of -7 or 1e12 is refused by name.
  const m = await Model.create({ numClasses: 3, inputSize: 32 });
  try {
    const state = { ...peekState(good), step: -7 };
    const bad = path.join(root, 'bad-step.safetensors');
    await m.saveCheckpoint(bad, { trainer_state: JSON.stringify(state) });
    await expect(loadCheckpointFile(m, bad)).rejects.toThrow(/bad-step\.safetensors: step -7 is not a step count/);
    // A .pth is not a checkpoint (said before any parsing).
    const pth = path.join(root, 'model.pth');
    fs.writeFileSync(pth, 'PK\u0003\u0004 not really');
    await expect(loadCheckpointFile(m, pth)).rejects.toThrow(/model\.pth: not a checkpoint .*--init/);
    // The same from the API: Model.loadCheckpoint names a PyTorch zip or any other file before parsing it.
    await expect(m.loadCheckpoint(pth)).rejects.toThrow(/model\.pth: a PyTorch zip \(torch\.save\), not a checkpoint/);
    const text = path.join(root, 'notes.safetensors');
    fs.writeFileSync(text, 'hello, not a checkpoint');
    await expect(m.loadCheckpoint(text)).rejects.toThrow(
      /notes\.safetensors: not a checkpoint: checkpoints are safetensors/,
    );
    await expect(m.loadCheckpoint(root)).rejects.toThrow(
      /not a checkpoint \(not a regular file\)|cannot read the checkpoint/,
    );
  } finally {
    m.dispose();
  }
  // A folder with a checkpoint's name where the final checkpoint goes: refused before training, nothing lost.
  const out2 = path.join(root, 'names2');
  await train({ out: out2, maxSteps: 1 });
  fs.mkdirSync(path.join(out2, 'checkpoints', checkpointName(2)));
  await expect(train({ out: out2, force: true })).rejects.toThrow(/ckpt-000000002\.safetensors is a directory/);
});

test('malformed config.json in a run folder: file and problem named', () => {
  const out = path.join(root, 'bad-config');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'config.json'), '{"lr": 0.1,');
  expect(() => configForResume(out)).toThrow(/bad-config[/\\]config\.json: not valid JSON/);
  fs.writeFileSync(path.join(out, 'config.json'), '[1]');
  expect(() => configForResume(out)).toThrow(/config\.json: expected a JSON object/);
});

test('without --out: runs/<name>, then runs/<name>-2; bad input leaves no folder', async () => {
  const cwd = path.join(root, 'cwd');
  fs.mkdirSync(cwd);
  const run = (args: string[]) =>
    spawnSync(process.execPath, [cli, 'train', ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  const args = [
    '--data',
    data,
    '--input-size',
    '32',
    '--batch-size',
    '4',
    '--max-steps',
    '1',
    '--holdout-per-class',
    '0',
  ];
  const bad = run(['--data', path.join(root, 'no-such-data'), '--name', 'x']);
  expect(bad.status).not.toBe(0);
  expect(fs.existsSync(path.join(cwd, 'runs'))).toBe(false);
  expect(run([...args, '--name', 'x']).status).toBe(0);
  expect(run([...args, '--name', 'x']).status).toBe(0);
  expect(fs.readdirSync(path.join(cwd, 'runs')).sort()).toEqual(['x', 'x-2']);
  expect(fs.existsSync(path.join(cwd, 'runs', 'x', 'model.safetensors'))).toBe(true);
  expect(fs.existsSync(path.join(cwd, 'runs', 'x-2', 'model.safetensors'))).toBe(true);
});

test('the resume command is the way the CLI was invoked, from the current folder', () => {
  expect(cliCommand('/p/node_modules/.bin/vgg2-torch', '/p')).toBe('./node_modules/.bin/vgg2-torch');
  expect(cliCommand('/project/bin/vgg2-torch.js', '/project/sub')).toBe('node ../bin/vgg2-torch.js');
  expect(cliCommand('/opt/x/bin/vgg2-torch.js', '/home/u/a/b/c/d')).toBe('node /opt/x/bin/vgg2-torch.js');
});
