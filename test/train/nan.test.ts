/**
 * A diverged run (lr 1e10): training stops with a clear error at the first non-finite loss, the
 * NaN state is never saved (the last good checkpoint stays the newest), no model.safetensors is
 * written, and a checkpoint saved after a NaN loss (as older versions did) is refused on resume.
 */
import fs from 'fs';
import path from 'path';
import { writeDemoDataset } from '../../lib/data/demo';
import { Model } from '../../lib/model';
import { listCheckpoints, loadCheckpointFile, peekState } from '../../lib/train/checkpoint';
import { Trainer } from '../../lib/train/trainer';
import { tmpDir } from '../helpers/paths';

let root: string;
let data: string;

beforeAll(async () => {
  root = tmpDir('nan');
  data = path.join(root, 'data');
  await writeDemoDataset({ out: data, identities: 3, images: 6, size: 40, seed: 4 });
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('lr 1e10: stops at the first non-finite loss, keeps the last good checkpoint, saves no NaN state', async () => {
  const out = path.join(root, 'diverged');
  const trainer = new Trainer({
    data,
    out,
    inputSize: 32,
    batchSize: 4,
    epochs: 3,
    lr: 1e10,
    warmupEpochs: 0,
    holdoutPerClass: 0,
    checkpointEverySteps: 1,
    amp: 'off',
    threads: 1,
    workers: 1,
  });
  const losses: number[] = [];
  trainer.on('log', () => undefined);
  trainer.on('step', (e: { loss: number }) => losses.push(e.loss));
  await expect(trainer.fit()).rejects.toThrow(
    /step \d+: the loss is (NaN|Infinity|-Infinity) \(training diverged, lr 10000000000\); stopped without saving\. Last good checkpoint: .*Start again with a lower --lr/,
  );
  // Every step that was reported had a finite loss, and each was checkpointed; none after.
  expect(losses.every(Number.isFinite)).toBe(true);
  const found = listCheckpoints(path.join(out, 'checkpoints'));
  expect(found.length ? found[0].step : 0).toBe(losses.length);
  for (const c of found) expect(() => peekState(c.file)).not.toThrow();
  expect(fs.existsSync(path.join(out, 'model.safetensors'))).toBe(false);
  expect(fs.existsSync(path.join(out, 'train.lock'))).toBe(false);
});

test('a checkpoint saved after a NaN loss is refused on resume, naming the file', async () => {
  const m = await Model.create({ numClasses: 3, inputSize: 32 });
  try {
    const file = path.join(root, 'ckpt-000000003.safetensors');
    // JSON writes NaN as null: this is what an older version saved after diverging.
    const state = {
      version: 1,
      step: 3,
      position: { epoch: 0, batch: 3 },
      seconds: 1,
      plateau: {},
      best: null,
      done: false,
      seed: 0,
      sums: { window: { loss: NaN, top1: 0, images: 12, steps: 3 }, epoch: { loss: NaN, steps: 3, images: 12 } },
      config: {},
      metrics: [],
    };
    await m.saveCheckpoint(file, { trainer_state: JSON.stringify(state) });
    await expect(loadCheckpointFile(m, file)).rejects.toThrow(
      /ckpt-000000003\.safetensors: saved after the loss became NaN or infinite \(diverged\); resume from an earlier checkpoint/,
    );
  } finally {
    m.dispose();
  }
});
