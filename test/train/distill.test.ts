/**
 * Knowledge distillation through the Trainer (and `vgg2-torch distill`): a student learns a
 * teacher's embeddings through its projection (sizes differ), the teacher's logits add a KL term,
 * a stopped run resumes to the straight run's weights, unlabelled transfer images train on the
 * teacher's targets alone, and bad teachers, transfer sets and flags are refused.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Model, describeWeights } from '../../lib';
import { writeDemoDataset } from '../../lib/data/demo';
import { Issues } from '../../lib/data/issues';
import { MemoryCache } from '../../lib/data/memory-cache';
import { Teacher } from '../../lib/train/distill';
import { TransferSet } from '../../lib/train/transfer';
import { Trainer, type StepEvent } from '../../lib/train/trainer';
import { ConfigError, resolveConfig } from '../../lib/train/config';
import { repoRoot, removeTmpDirs, tmpDir } from '../helpers/paths';
import { readSafetensors } from '../helpers/safetensors';

jest.setTimeout(300_000);
afterAll(removeTmpDirs);

const root = tmpDir('distill');
const data = path.join(root, 'data');
const teacherFile = path.join(root, 'teacher.safetensors');

beforeAll(async () => {
  await writeDemoDataset({ out: data, identities: 3, images: 8, size: 40, seed: 6 });
  // A fixed, seeded ResNet-18 (512-d pooled feature) of the data's 2 training classes (the demo
  // keeps one of its 3 identities for testing).
  const teacher = await Model.create({ arch: 'resnet18', numClasses: 2, inputSize: 32, seed: 11 });
  await teacher.save(teacherFile);
  teacher.dispose();
});

const base = (out: string, extra: Record<string, unknown> = {}) => ({
  data,
  out,
  arch: 'resnet18' as const,
  embeddingDim: 64,
  teacher: teacherFile,
  inputSize: 32,
  batchSize: 6,
  epochs: 8,
  lr: 0.05,
  warmupEpochs: 0,
  holdoutPerClass: 0,
  amp: 'off' as const,
  threads: 2,
  workers: 1,
  seed: 3,
  logEvery: 1,
  ...extra,
});

async function fit(trainer: Trainer, stopAt?: number): Promise<StepEvent[]> {
  const steps: StepEvent[] = [];
  const stop = new AbortController();
  trainer.on('log', () => undefined);
  trainer.on('step', (e: StepEvent) => {
    steps.push(e);
    if (e.step === stopAt) stop.abort();
  });
  await trainer.fit({ signal: stop.signal });
  return steps;
}

test('a student of another embedding size learns the teacher’s embeddings through its projection', async () => {
  const out = path.join(root, 'embed-only');
  // The labels off: only the teacher teaches.
  const steps = await fit(new Trainer(base(out, { hardWeight: 0, lr: 0.5 })));
  const d = steps.map((s) => s.distillLoss!);
  expect(d.every(Number.isFinite)).toBe(true);
  expect(steps[0].loss).toBeCloseTo(d[0], 5); // the total is the embedding term alone
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  // 1 − cos to the teacher falls as the student learns (the first and last three steps).
  expect(mean(d.slice(-3))).toBeLessThan(0.7 * mean(d.slice(0, 3)));
  const weights = path.join(out, 'model.safetensors');
  expect(await describeWeights(weights)).toMatchObject({ arch: 'resnet18', embeddingDim: 64, distillDim: 512 });
  expect(readSafetensors(weights).tensors.get('distill.weight')?.shape).toEqual([512, 64]);
  const student = await Model.fromFile(weights);
  expect(student.describe().distillDim).toBe(512);
  // Its own 64-d embedding is what it embeds faces as; the projection is not part of the output.
  const y = await student.forward(new Float32Array(2 * 3 * 32 * 32), [2, 3, 32, 32]);
  expect(y.embedding).toHaveLength(2 * 64);
  student.dispose();
});

test('logits: the KL term joins the total; a stopped distillation resumes to the straight run’s weights', async () => {
  const extra = { logitWeight: 0.5, temperature: 2, epochs: 2, distillLoss: 'mse' as const };
  const straight = path.join(root, 'straight');
  const a = await fit(new Trainer(base(straight, extra)));
  // hard + embedding + KL: more than the embedding term alone.
  expect(a[0].loss).toBeGreaterThan(a[0].distillLoss!);
  const resumed = path.join(root, 'resumed');
  const first = await fit(new Trainer(base(resumed, extra)), 2);
  expect(first.length).toBeLessThan(a.length);
  const rest = await fit(new Trainer(base(resumed, extra), { resume: true }));
  expect([...first, ...rest].map((s) => s.loss)).toEqual(a.map((s) => s.loss));
  const x = readSafetensors(path.join(straight, 'model.safetensors'));
  const y = readSafetensors(path.join(resumed, 'model.safetensors'));
  for (const name of ['distill.weight', 'fc.weight', 'layer4.1.conv2.weight'])
    expect(Array.from(y.tensors.get(name)!.data)).toEqual(Array.from(x.tensors.get(name)!.data));
});

test('augmentation off: the teacher runs once per image, later epochs read its cache, and the run is the same', async () => {
  const still = { augment: { flip: false, randomCrop: false, grayProb: 0 }, epochs: 3, logitWeight: 0.5 };
  const run = async (out: string, extra: Record<string, unknown>) => {
    const trainer = new Trainer(base(path.join(root, out), { ...still, ...extra }));
    const logs: string[] = [];
    trainer.on('log', (l: string) => logs.push(l));
    const steps = await fit(trainer);
    return { steps, logs: logs.join('\n') };
  };
  const cached = await run('cached', {});
  // 16 training images (2 classes of 8) in full batches of 6: a batch runs the teacher unless all
  // its images are cached, so later epochs read most batches from the cache.
  const m = cached.logs.match(/teacher: (\d+) images forwarded, (\d+) from its cache \((\d+) images held\)/);
  expect(cached.logs).toMatch(/augmentation is off: its outputs are computed once per image and cached/);
  expect(m).not.toBeNull();
  const [forwarded, hits, held] = m!.slice(1).map(Number);
  const images = cached.steps.length * 6;
  expect(forwarded + hits).toBe(images);
  expect(hits).toBeGreaterThan(0);
  expect(held).toBeLessThanOrEqual(16);
  const fresh = await run('uncached', { cacheTeacher: false });
  expect(fresh.logs).not.toMatch(/from its cache/);
  // The same targets, whether computed again or read back.
  expect(cached.steps.map((s) => s.distillLoss)).toEqual(fresh.steps.map((s) => s.distillLoss));
  // With augmentation on (the default) nothing is cached: each epoch's pixels are new.
  const augmented = await run('augmented', { augment: {}, epochs: 1 });
  expect(augmented.logs).not.toMatch(/cached/);
});

test('unlabelled rows (label -1) train on the teacher’s targets only; the labelled rows’ loss is theirs alone', async () => {
  const make = () => Model.create({ arch: 'resnet18', numClasses: 2, inputSize: 32, seed: 5, amp: 'off' });
  const [a, b] = [await make(), await make()];
  const pixels = new Uint8Array(4 * 32 * 32 * 3).map((_, i) => (i * 37) % 251);
  const embedding = new Float32Array(4 * 512).map((_, i) => Math.sin(i));
  // BatchNorm frozen (rows independent) and lr 0: the mixed batch's classification loss must be
  // that of its two labelled rows alone.
  const step = { lr: 0, freezeBatchNorm: true };
  const mixed = await a.trainStep(pixels, [4, 32, 32, 3], Int32Array.from([0, 1, -1, -1]), {
    ...step,
    distill: { embedding, weight: 0 },
  });
  const alone = await b.trainStep(pixels.subarray(0, 2 * 32 * 32 * 3), [2, 32, 32, 3], Int32Array.from([0, 1]), step);
  expect(mixed.loss).toBeCloseTo(alone.loss, 5);
  expect(mixed.top1).toBe(alone.top1); // hits count the labelled rows only
  // No labelled row: the total is the embedding term.
  const none = await a.trainStep(pixels, [4, 32, 32, 3], Int32Array.from([-1, -1, -1, -1]), {
    ...step,
    distill: { embedding },
  });
  expect(none.loss).toBeCloseTo(none.distillLoss!, 6);
  expect(none.distillLoss).toBeGreaterThan(0);
  expect(none.top1).toBe(0);
  await expect(a.trainStep(pixels, [4, 32, 32, 3], Int32Array.from([0, 1, -1, -1]), step)).rejects.toThrow(
    /unlabelled images \(label -1\) train only with a teacher's targets/,
  );
  await expect(a.trainStep(pixels, [4, 32, 32, 3], Int32Array.from([0, 1, -2, 0]), step)).rejects.toThrow(
    /labels\[2\] = -2 is outside \[0, 2\) \(or -1 for an unlabelled image\)/,
  );
  a.dispose();
  b.dispose();
});

test('a transfer set joins every batch; a stopped run resumes to the straight run’s weights', async () => {
  const other = path.join(root, 'transfer');
  await writeDemoDataset({ out: other, identities: 4, images: 6, size: 40, seed: 9 });
  // Its identity folders: the names are ignored.
  const transferData = path.join(other, 'train');
  const extra = { transferData, transferBatchSize: 4, epochs: 3 };
  const logs: string[] = [];
  const straight = path.join(root, 'transfer-straight');
  const trainer = new Trainer(base(straight, extra));
  trainer.on('log', (l: string) => logs.push(l));
  const a = await fit(trainer);
  expect(logs.join('\n')).toMatch(/transfer set: .*; 4 of its images join every batch/);
  // The accuracy counts the 6 labelled images of a batch, not the 4 unlabelled ones.
  expect(a.every((s) => s.images === 6 && s.top1 <= 1)).toBe(true);
  const without = await fit(new Trainer(base(path.join(root, 'transfer-none'), { epochs: 3 })));
  expect(a.map((s) => s.distillLoss)).not.toEqual(without.map((s) => s.distillLoss));
  // The transfer batches follow the step count: a resumed run sees the same ones.
  const resumed = path.join(root, 'transfer-resumed');
  const first = await fit(new Trainer(base(resumed, extra)), 3);
  const rest = await fit(new Trainer(base(resumed, extra), { resume: true }));
  expect([...first, ...rest].map((s) => s.loss)).toEqual(a.map((s) => s.loss));
  const x = readSafetensors(path.join(straight, 'model.safetensors'));
  const y = readSafetensors(path.join(resumed, 'model.safetensors'));
  expect(Array.from(y.tensors.get('layer4.1.conv2.weight')!.data)).toEqual(
    Array.from(x.tensors.get('layer4.1.conv2.weight')!.data),
  );
  // Bad transfer sets.
  expect(() => resolveConfig({ data, transferData })).toThrow(/transferData: needs 'teacher'/);
  const run = (more: Record<string, unknown>) => new Trainer(base(path.join(root, 'transfer-bad'), more)).fit();
  await expect(run({ transferData: path.join(root, 'nowhere') })).rejects.toThrow(/transferData .*nowhere/);
  await expect(run({ transferData, transferBatchSize: 64 })).rejects.toThrow(
    /transferData .*: 18 images, fewer than one transfer batch of 64/,
  );
  // Refused before the run folder is made.
  expect(fs.existsSync(path.join(root, 'transfer-bad'))).toBe(false);
  // A flat folder of faces will do too; a file that is no image is a counted skip.
  const flat = path.join(root, 'flat');
  fs.mkdirSync(flat);
  const ids = fs.readdirSync(transferData).sort();
  for (const f of fs.readdirSync(path.join(transferData, ids[0])).slice(0, 5))
    fs.copyFileSync(path.join(transferData, ids[0], f), path.join(flat, f));
  fs.writeFileSync(path.join(flat, 'notes.txt'), 'not a face\n');
  const issues = new Issues();
  const log: string[] = [];
  const c = resolveConfig({ data, teacher: teacherFile, transferData: flat, transferBatchSize: 4 });
  TransferSet.open(c, { crop: 'none', size: 32, boxExtend: 0.3 }, issues, (m) => log.push(m));
  expect(log.join('\n')).toMatch(/transfer set: image folder .*flat: 5 images, unlabelled/);
  expect(issues.count()).toBe(1);
});

test('over two ranks, each rank joins its half of every transfer batch: disjoint, together the one-process batch', async () => {
  const shards = path.join(root, 'shards');
  await writeDemoDataset({ out: shards, identities: 4, images: 6, size: 40, seed: 9 });
  const c = resolveConfig({
    data,
    teacher: teacherFile,
    transferData: path.join(shards, 'train'),
    transferBatchSize: 4,
  });
  const face = { crop: 'none' as const, size: 32, boxExtend: 0.3 };
  const row = 32 * 32 * 3;
  // Two labelled images per rank, then the transfer shard; from step 5 on (a resumed run's start).
  const labelled = { data: Buffer.alloc(2 * row, 7), labels: Int32Array.from([0, 1]), n: 2, size: 32, indices: [0, 1] };
  const joins = async (rank: number, worldSize: number) => {
    const t = TransferSet.open(c, face, new Issues(), () => undefined);
    t.begin({
      start: 5,
      offset: 100,
      labelledBatch: 2,
      memory: new MemoryCache(0, face),
      issues: new Issues(),
      rank,
      worldSize,
    });
    const steps: { indices: number[]; labels: number[]; n: number }[] = [];
    for (let s = 0; s < 8; s++) {
      const j = await t.join(labelled);
      expect(Buffer.from(j.pixels.subarray(0, 2 * row)).equals(labelled.data)).toBe(true);
      steps.push({ indices: j.indices.slice(2), labels: Array.from(j.labels), n: j.n });
    }
    await t.close();
    return steps;
  };
  const one = await joins(0, 1);
  const [r0, r1] = [await joins(0, 2), await joins(1, 2)];
  for (let s = 0; s < one.length; s++) {
    expect(one[s].n).toBe(6);
    expect([r0[s].n, r1[s].n]).toEqual([4, 4]);
    expect(r0[s].labels).toEqual([0, 1, -1, -1]);
    // The transfer images' cache keys sit past the labelled set's 100.
    expect(one[s].indices.every((i) => i >= 100 && i < 118)).toBe(true);
    expect([...r0[s].indices, ...r1[s].indices].sort((a, b) => a - b)).toEqual(
      [...one[s].indices].sort((a, b) => a - b),
    );
    expect(new Set([...r0[s].indices, ...r1[s].indices]).size).toBe(4);
  }
  // Not the same transfer batch every step.
  expect(new Set(one.map((s) => s.indices.join())).size).toBeGreaterThan(1);
});

test('bad teachers and distillation flags are refused clearly', async () => {
  const notModel = path.join(root, 'notes.txt');
  fs.writeFileSync(notModel, 'not weights\n');
  const run = (extra: Record<string, unknown>) => new Trainer(base(path.join(root, 'bad'), extra)).fit();
  await expect(run({ teacher: notModel })).rejects.toThrow(/teacher .*notes\.txt/);
  await expect(run({ teacher: path.join(root, 'missing.safetensors') })).rejects.toThrow(/teacher .*missing/);
  const other = path.join(root, 'teacher-5.safetensors');
  const five = await Model.create({ arch: 'resnet18', numClasses: 5, inputSize: 32 });
  await five.save(other);
  five.dispose();
  await expect(run({ teacher: other, logitWeight: 1 })).rejects.toThrow(
    /--logit-weight needs a teacher of the student's 2 classes; .* has 5/,
  );
  expect(() => resolveConfig({ data, distillWeight: 2 })).toThrow(ConfigError);
  expect(() => resolveConfig({ data, distillWeight: 2 })).toThrow(/distillWeight: needs 'teacher'/);
  expect(() => resolveConfig({ data, teacher: teacherFile, temperature: 0 })).toThrow(/temperature/);
  await expect(
    Teacher.open(resolveConfig({ data, teacher: teacherFile, logitWeight: 1 }), 2, 32, () => undefined).then((t) =>
      t.dispose(),
    ),
  ).resolves.toBeUndefined();
});

test('the CLI: distill --student, its bad input', () => {
  const cli = path.join(repoRoot, 'bin', 'vgg2-torch.js');
  const run = (args: string[]) => spawnSync(process.execPath, [cli, 'distill', ...args], { encoding: 'utf8' });
  const common = ['--data', data, '--input-size', '32', '--batch-size', '6', '--epochs', '1', '--max-steps', '1'];
  const out = path.join(root, 'cli');
  const ok = run(['--teacher', teacherFile, '--student', 'resnet18', '--out', out, '--amp', 'off', ...common]);
  expect(ok.stderr).toMatch(/teacher: .*teacher\.safetensors \(resnet18, 512-d\)/);
  expect(ok.status).toBe(0);
  expect(fs.existsSync(path.join(out, 'model.safetensors'))).toBe(true);
  const noTeacher = run(['--student', 'resnet18', ...common]);
  expect(noTeacher.status).not.toBe(0);
  expect(noTeacher.stderr).toMatch(/distill needs --teacher/);
  const unknown = run(['--teacher', teacherFile, '--student', 'resnet19', ...common]);
  expect(unknown.status).not.toBe(0);
  expect(unknown.stderr).toMatch(/student.*resnet19|Invalid values/);
  const clash = run(['--teacher', teacherFile, '--student', 'resnet18', '--arch', 'resnet34', ...common]);
  expect(clash.stderr).toMatch(/--student resnet18 and --arch resnet34 disagree/);
});
