/**
 * Fine-tuning with `init`: a new classifier when the class count differs, a frozen backbone
 * (backbone bit-identical after training, BatchNorm statistics included, while the head trains),
 * the backbone's lr scale (with plain SGD one step moves the backbone by exactly scale × the
 * full-lr move, the head by the same amount), a checkpoint as init, a model of another arch refused.
 */
import fs from 'fs';
import path from 'path';
import { writeDemoDataset } from '../../lib/data/demo';
import { Model } from '../../lib/model';
import { listCheckpoints } from '../../lib/train/checkpoint';
import { Trainer } from '../../lib/train/trainer';
import type { TrainConfigInput } from '../../lib/train/config';
import { tmpDir } from '../helpers/paths';
import { readSafetensors } from '../helpers/safetensors';

type Tensors = ReturnType<typeof readSafetensors>['tensors'];

let root: string;
let data: string;
let init5: string;
let fresh: Tensors;

const isHead = (name: string) => name.startsWith('fc.');
const bytes = (d: Float32Array | BigInt64Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
const weights = (file: string) => readSafetensors(file).tensors;

/** A short fine-tuning run (3 training identities, 32 px, plain SGD); returns the run folder and its log. */
async function fineTune(name: string, extra: Partial<TrainConfigInput>): Promise<{ out: string; log: string[] }> {
  const out = path.join(root, name);
  const trainer = new Trainer({
    data,
    out,
    init: init5,
    inputSize: 32,
    batchSize: 4,
    epochs: 1,
    maxSteps: 1,
    lr: 0.05,
    momentum: 0,
    weightDecay: 0,
    warmupEpochs: 0,
    holdoutPerClass: 0,
    amp: 'off',
    threads: 2,
    workers: 2,
    seed: 1,
    logEvery: 1,
    ...extra,
  });
  const log: string[] = [];
  trainer.on('log', (m: string) => log.push(m));
  const r = await trainer.fit();
  expect(r.status).toBe('complete');
  return { out, log };
}

beforeAll(async () => {
  root = tmpDir('finetune');
  data = path.join(root, 'demo');
  await writeDemoDataset({ out: data, identities: 4, images: 8, size: 48, seed: 3 });
  // "Pretrained" weights with 5 classes; the fine-tuning data has 3.
  init5 = path.join(root, 'init5.safetensors');
  const m = await Model.create({ numClasses: 5, seed: 11, inputSize: 32 });
  await m.save(init5);
  m.dispose();
  // The new classifier starts as a fresh model of the run's seed does.
  const f = await Model.create({ numClasses: 3, seed: 1, inputSize: 32 });
  const file = path.join(root, 'fresh.safetensors');
  await f.save(file);
  f.dispose();
  fresh = weights(file);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('--backbone-lr-scale: the backbone moves scale × as far as at full lr, the new classifier as far', async () => {
  const full = await fineTune('scale-1', {});
  expect(full.log.join('\n')).toMatch(/init: .*init5\.safetensors \(backbone; new 3-class classifier\)/);
  const quarter = await fineTune('scale-0.25', { backboneLrScale: 0.25 });
  const w0 = weights(init5);
  const a = weights(path.join(full.out, 'model.safetensors'));
  const b = weights(path.join(quarter.out, 'model.safetensors'));
  expect(a.get('fc.weight')!.shape).toEqual([3, 2048]);
  // Least-squares ratio of the two moves over every backbone parameter, and over the head's.
  const ratio = (names: string[], start: Tensors) => {
    let ab = 0;
    let aa = 0;
    for (const n of names) {
      const s = start.get(n)!.data as Float32Array;
      const x = a.get(n)!.data as Float32Array;
      const y = b.get(n)!.data as Float32Array;
      for (let i = 0; i < s.length; i++) {
        ab += (x[i] - s[i]) * (y[i] - s[i]);
        aa += (x[i] - s[i]) ** 2;
      }
    }
    expect(aa).toBeGreaterThan(0); // it did move
    return ab / aa;
  };
  const backbone = [...a.keys()].filter(
    (n) => !isHead(n) && a.get(n)!.dtype === 'F32' && !/running_|num_batches/.test(n),
  );
  expect(ratio(backbone, w0)).toBeCloseTo(0.25, 3);
  expect(ratio(['fc.weight', 'fc.bias'], fresh)).toBeCloseTo(1, 3);
});

test('--freeze-backbone: backbone (BatchNorm statistics included) bit-identical to init; the head trains', async () => {
  const { out } = await fineTune('frozen', {
    freezeBackbone: true,
    maxSteps: 2,
    checkpointEverySteps: 1,
    momentum: 0.9,
    weightDecay: 5e-4,
  });
  const w0 = weights(init5);
  const ckpts = listCheckpoints(path.join(out, 'checkpoints'));
  expect(ckpts.map((c) => c.step)).toEqual([2, 1]);
  const after1 = weights(ckpts[1].file);
  const after2 = weights(path.join(out, 'model.safetensors'));
  const backbone = [...w0.keys()].filter((n) => !isHead(n));
  expect(backbone.length).toBeGreaterThan(300);
  for (const w of [after1, after2]) {
    const moved = backbone.filter((n) => !bytes(w.get(n)!.data).equals(bytes(w0.get(n)!.data)));
    expect(moved).toEqual([]);
  }
  // The head changed at each step.
  expect(bytes(after1.get('fc.weight')!.data).equals(bytes(fresh.get('fc.weight')!.data))).toBe(false);
  expect(bytes(after2.get('fc.weight')!.data).equals(bytes(after1.get('fc.weight')!.data))).toBe(false);
  // Momentum buffers for the head only: the frozen backbone has no gradients.
  const buffers = [...weights(ckpts[0].file).keys()].filter((n) => n.startsWith('optimizer.'));
  expect(buffers.sort()).toEqual(['optimizer.momentum_buffer.fc.bias', 'optimizer.momentum_buffer.fc.weight']);
});

test('a checkpoint as init: same class count, every weight taken', async () => {
  const { out: src } = await fineTune('from-ckpt-src', { momentum: 0.9 });
  const ckpt = listCheckpoints(path.join(src, 'checkpoints'))[0].file;
  const { log } = await fineTune('from-ckpt', { init: ckpt, lr: 0.001 });
  expect(log.join('\n')).toMatch(/init: .*ckpt-0+1\.safetensors \(all weights\)/);
});

test('init weights of another architecture are refused, naming both', async () => {
  const se = path.join(root, 'se.safetensors');
  const m = await Model.create({ arch: 'senet50', numClasses: 3, seed: 0 });
  await m.save(se);
  m.dispose();
  await expect(fineTune('wrong-arch', { init: se })).rejects.toThrow(
    /init .*se\.safetensors is a senet50, not a resnet50/,
  );
});
