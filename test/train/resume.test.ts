/**
 * Exact resume and crash-safe checkpoints, with real processes of `vgg2-torch train` (compiled CLI)
 * on a tiny demo dataset: straight vs killed + resumed runs give the same losses and weights; a kill
 * at each point of a checkpoint write, and real SIGKILLs at seeded points inside checkpoint
 * writes, leave only loadable checkpoints and resume from the newest; SIGINT saves and the printed
 * resume command works. Every resumed run must equal the straight run bit for bit (CPU, fp32,
 * 2 threads, fixed seed: see docs/training.md).
 */
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { writeDemoDataset } from '../../lib/data/demo';
import { Model } from '../../lib/model';
import { mulberry32 } from '../../lib/random';
import { listCheckpoints, peekState } from '../../lib/train/checkpoint';
import type { MetricRecord } from '../../lib/train/run-folder';
import { repoRoot, tmpDir } from '../helpers/paths';
import { readSafetensors } from '../helpers/safetensors';

const cli = path.join(repoRoot, 'bin', 'vgg2-torch.js');
let root: string;
let data: string;

// 3 training identities × 8 images, 2 held out each: 18 training images, 4 batches of 4 per epoch.
// A checkpoint is ~190 MB (ResNet-50 weights + momentum): keep 2 per run, and delete each run.
const flags = (out: string, checkpointSteps = '1') => [
  'train',
  '--data',
  data,
  '--out',
  out,
  '--input-size',
  '32',
  '--batch-size',
  '4',
  '--epochs',
  '2',
  '--max-steps',
  '6',
  '--lr',
  '0.002',
  '--amp',
  'off',
  '--threads',
  '2',
  '--workers',
  '2',
  '--checkpoint-every-steps',
  checkpointSteps,
  '--keep-checkpoints',
  '2',
  '--log-every',
  '1',
  '--seed',
  '1',
  '--holdout-per-class',
  '2',
  '--warmup-epochs',
  '1',
  '--schedule',
  'cosine',
  '--progress',
  'lines',
];
const resume = (out: string) => ['train', '--resume', out, '--progress', 'lines'];

function train(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [cli, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 180_000,
  });
}

function metrics(dir: string): MetricRecord[] {
  return fs
    .readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetricRecord);
}

/** Everything of a record but the clock: the loss curve, lr, accuracies. */
function curve(dir: string) {
  return metrics(dir).map((m) =>
    m.type === 'train'
      ? [m.type, m.epoch, m.step, m.lr, m.loss, m.top1]
      : [m.type, m.epoch, m.step, m.lr, m.loss, m.val_top1, m.val_top5],
  );
}

function expectSameWeights(a: string, b: string): void {
  const x = readSafetensors(a).tensors;
  const y = readSafetensors(b).tensors;
  expect([...y.keys()]).toEqual([...x.keys()]);
  const bytes = (d: Float32Array | BigInt64Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  const differing = [...x].filter(([name, t]) => !bytes(y.get(name)!.data).equals(bytes(t.data))).map(([name]) => name);
  expect(differing).toEqual([]);
}

/** The resumed run in `out` is the straight run: same loss curve, lr, accuracies, bit-identical weights. */
function expectSameAsStraight(out: string): void {
  expect(curve(out)).toEqual(curve(straight));
  const m = metrics(out);
  expect(m.every((r, i) => i === 0 || r.seconds >= m[i - 1].seconds)).toBe(true);
  expectSameWeights(path.join(straight, 'model.safetensors'), path.join(out, 'model.safetensors'));
}

/** Loads every checkpoint of a run folder (model, momentum, state); returns them newest first. */
async function expectAllLoadable(out: string): Promise<{ file: string; step: number }[]> {
  const found = listCheckpoints(path.join(out, 'checkpoints'));
  const model = await Model.create({ numClasses: 3, seed: 0 });
  try {
    for (const { file, step } of found) {
      const metadata = await model.loadCheckpoint(file);
      expect(JSON.parse(metadata.trainer_state).step).toBe(step);
      expect(peekState(file).step).toBe(step);
    }
  } finally {
    model.dispose();
  }
  return found;
}

let straight: string;

beforeAll(async () => {
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'bin', 'commands', 'train.js')))
    throw new Error('compile first: npx tsc -p tsconfig.json');
  root = tmpDir('resume');
  data = path.join(root, 'demo');
  await writeDemoDataset({ out: data, identities: 4, images: 8, size: 48, seed: 3 });
  straight = path.join(root, 'straight');
  const r = train(flags(straight));
  expect(r.stderr).toMatch(/done: 6 steps/);
  expect(r.status).toBe(0);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('N steps straight = N/2, SIGKILL, resume: identical losses and bit-identical final weights', () => {
  const out = path.join(root, 'killed');
  // A real SIGKILL, at a deterministic moment: right after the checkpoint of step 3 is in place.
  const k = train(flags(out), { VGG2_CHECKPOINT_FAULT: 'after-rename', VGG2_CHECKPOINT_FAULT_STEP: '3' });
  expect(k.signal).toBe('SIGKILL');
  expect(listCheckpoints(path.join(out, 'checkpoints'))[0].step).toBe(3);
  const r = train(resume(out));
  expect(r.stderr).toMatch(/resume: .*ckpt-000000003\.safetensors \(step 3/);
  expect(r.status).toBe(0);
  expectSameAsStraight(out);
  // The final model describes itself; resuming a finished run says so and exits 0.
  const meta = readSafetensors(path.join(out, 'model.safetensors')).metadata;
  expect(meta).toMatchObject({ arch: 'resnet50', num_classes: '3', input_size: '32' });
  expect(JSON.parse(meta.class_names)).toHaveLength(3);
  const again = train(['train', '--resume', out]);
  expect(again.status).toBe(0);
  expect(again.stderr).toMatch(/already complete/);
  fs.rmSync(out, { recursive: true });
});

describe.each(['before-write', 'during-write', 'after-write', 'before-rename', 'after-rename'] as const)(
  'killed at %s of a checkpoint write',
  (point) => {
    test('only loadable checkpoints remain; resume takes the newest good one and ends as the straight run', async () => {
      const out = path.join(root, `fault-${point}`);
      const k = train(flags(out), { VGG2_CHECKPOINT_FAULT: point, VGG2_CHECKPOINT_FAULT_STEP: '4' });
      expect(k.signal).toBe('SIGKILL');
      const dir = path.join(out, 'checkpoints');
      const found = await expectAllLoadable(out);
      expect(found[0].step).toBe(point === 'after-rename' ? 4 : 3);
      const r = train(resume(out));
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`resume: .*ckpt-00000000${found[0].step}\\.safetensors`));
      // Temporary files are gone, and were never named like a checkpoint.
      expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
      expectSameAsStraight(out);
      fs.rmSync(out, { recursive: true });
    });
  },
);

/**
 * Runs `args` and SIGKILLs it `delayMs` after the `nth` checkpoint write it starts (a new
 * temporary dot-file in the checkpoint folder), unless it exits first. Writes are watched once
 * the process has logged its start (a resume removes the temporaries an earlier kill left).
 */
/**
 * Runs `args` and SIGKILLs the process inside a checkpoint write: once its temporary file holds at
 * least `bytes` (the first write from the `nth` on that is caught there; polling every 2 ms). A
 * moment defined by the file's progress, not by a clock, so a fast or a loaded machine kills inside
 * a write all the same.
 */
function killDuringWrite(
  args: string[],
  dir: string,
  nth: number,
  bytes: number,
): Promise<{ killed: boolean; tornLeft: boolean; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const started = args.includes('--resume') ? /^resume: /m : /^model: /m;
  const seen = new Set<string>();
  const poll = setInterval(() => {
    if (!started.test(stderr)) return;
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names.filter((x) => x.startsWith('.') && x.includes('ckpt-'))) {
      seen.add(/ckpt-\d+/.exec(n)![0]);
      if (seen.size < nth) continue;
      let size: number;
      try {
        size = fs.statSync(path.join(dir, n)).size;
      } catch {
        continue; // renamed meanwhile: the next write
      }
      if (size >= bytes) {
        clearInterval(poll);
        child.kill('SIGKILL');
      }
    }
  }, 2);
  return new Promise((resolve) =>
    child.on('close', (_code, signal) => {
      clearInterval(poll);
      resolve({ killed: signal === 'SIGKILL', tornLeft: fs.readdirSync(dir).some((n) => n.startsWith('.')), stderr });
    }),
  );
}

const resumedFrom = (step: number | undefined) =>
  step === undefined ? /no usable checkpoint/ : new RegExp(`resume: .*ckpt-0*${step}\\.safetensors \\(step ${step}`);

test('real SIGKILLs at seeded random points of checkpoint writes: every checkpoint left loads, resume takes the newest', async () => {
  const out = path.join(root, 'random-kills');
  const dir = path.join(out, 'checkpoints');
  const rand = mulberry32(20240611);
  let torn = 0;
  let kills = 0;
  let newest: number | undefined;
  for (let round = 0; round < 3; round++) {
    // The 1st, 2nd or 3rd write of this process (so that runs get further), 1–96 MB into its ~190 MB.
    const nth = 1 + Math.floor(rand() * 3);
    const bytes = Math.floor((1 + rand() * 95) * 2 ** 20);
    const r = await killDuringWrite(round === 0 ? flags(out) : resume(out), dir, nth, bytes);
    if (round > 0) expect(r.stderr).toMatch(resumedFrom(newest));
    if (!r.killed) break; // finished before the chosen write
    kills++;
    if (r.tornLeft) torn++;
    newest = (await expectAllLoadable(out))[0]?.step;
  }
  expect(kills).toBeGreaterThanOrEqual(2);
  // The kills landed inside writes: at least one left a torn temporary file behind.
  expect(torn).toBeGreaterThanOrEqual(1);
  const r = train(resume(out));
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(resumedFrom(newest));
  expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  expectSameAsStraight(out);
  fs.rmSync(out, { recursive: true });
});

test('SIGINT stops at a step boundary, saves, prints a resume command that works', async () => {
  const out = path.join(root, 'sigint');
  const child = spawn(process.execPath, [cli, ...flags(out, '100')], { cwd: repoRoot });
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/step 2\/6/.test(stderr) && !child.killed) {
        child.kill('SIGINT');
        resolve();
      }
    });
  });
  expect(await exit).toBe(130);
  // One "stopped" line, and a resume command as the CLI was invoked here (node bin/vgg2-torch.js), not npx.
  expect(stderr.match(/stopped at step/g)).toHaveLength(1);
  const hint = /Resume with: (node \.\/bin\/vgg2-torch\.js train --resume .*)/.exec(stderr);
  expect(hint).not.toBeNull();
  const step = listCheckpoints(path.join(out, 'checkpoints'))[0].step;
  expect(step).toBeGreaterThanOrEqual(2);
  expect(step).toBeLessThan(6);
  const r = spawnSync('sh', ['-c', hint![1]], { cwd: repoRoot, encoding: 'utf8', timeout: 180_000 });
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(/done: 6 steps/);
  expectSameAsStraight(out);
  fs.rmSync(out, { recursive: true });
});
