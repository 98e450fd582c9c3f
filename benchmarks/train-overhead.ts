/**
 * The Trainer's overhead on cached data against the bare native training step on one fixed batch
 * (target: ≤ 3% fewer images/s), and, opt-in (--memory), resident memory over 1,000 steps
 * (target: growth < 5% after warm-up). Both on a small config: ResNet-50, 64 px, batch 16.
 *
 *   node dist/benchmarks/train-overhead.js [--steps 60] [--memory]
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { prepareCache } from '../lib/data/cache';
import { openDataset } from '../lib/data/dataset';
import { writeDemoDataset } from '../lib/data/demo';
import { Model } from '../lib/model';
import { Trainer, type StepEvent } from '../lib/train/trainer';
import type { Row } from './harness';

const SIZE = 64;
const BATCH = 16;

async function demoCache(dir: string): Promise<string> {
  const data = path.join(dir, 'demo');
  await writeDemoDataset({ out: data, identities: 20, images: 30, size: 112 });
  const out = path.join(dir, 'demo.lmdb');
  await prepareCache({ dataset: openDataset({ data }), dataPath: data, out, crop: 'loose', size: SIZE, encoding: 'raw' });
  return out;
}

/** images/s of the bare step on one fixed batch, after `warm` steps. */
async function bareStep(steps: number, warm: number): Promise<number> {
  const model = await Model.create({ numClasses: 16, amp: 'bf16', seed: 0 });
  const x = new Uint8Array(BATCH * SIZE * SIZE * 3).map((_, i) => (i * 31) % 251);
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % 16);
  let t0 = 0;
  for (let i = 0; i < warm + steps; i++) {
    if (i === warm) t0 = performance.now();
    await model.trainStep(x, [BATCH, SIZE, SIZE, 3], labels, { lr: 0.001 });
  }
  model.dispose();
  return (steps * BATCH) / ((performance.now() - t0) / 1000);
}

/** images/s of Trainer steps on the cache (between step events, after `warm`), and RSS samples. */
async function trainerSteps(cache: string, out: string, steps: number, warm: number): Promise<{ rate: number; rss: number[] }> {
  const trainer = new Trainer({
    cache, out, batchSize: BATCH, lr: 0.001, epochs: 1000, maxSteps: warm + steps, holdoutPerClass: 0,
    amp: 'bf16', logEvery: 1_000_000, checkpointEvery: 1_000_000, warmupEpochs: 0, schedule: 'cosine',
  });
  trainer.on('log', () => undefined);
  let t0 = 0;
  let t1 = 0;
  const rss: number[] = [];
  trainer.on('step', (e: StepEvent) => {
    if (e.step === warm) t0 = performance.now();
    if (e.step === warm + steps) t1 = performance.now();
    if (e.step % 50 === 0) rss.push(process.memoryUsage.rss());
  });
  await trainer.fit();
  return { rate: (steps * BATCH) / ((t1 - t0) / 1000), rss };
}

export async function benchOverhead(o: { steps?: number; memory?: boolean; log?: (l: string) => void } = {}): Promise<Row[]> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const steps = o.steps ?? 60;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-bench-trainer-'));
  try {
    const cache = await demoCache(dir);
    const rows: Row[] = [];
    // Alternate, so that both see the same machine load.
    const bare: number[] = [];
    const ours: number[] = [];
    for (let r = 0; r < 2; r++) {
      bare.push(await bareStep(steps, 5));
      ours.push((await trainerSteps(cache, path.join(dir, `run${r}`), steps, 5)).rate);
      log(`  round ${r + 1}: trainer ${ours[r].toFixed(1)} img/s, bare step ${bare[r].toFixed(1)} img/s`);
    }
    const a = Math.max(...ours);
    const b = Math.max(...bare);
    rows.push({ suite: 'train-overhead', config: `Trainer on cache vs bare step, ${SIZE}px b${BATCH} bf16`, unit: 'img/s', ours: a, pytorch: b, ratio: a / b, target: 0.97, rounds: 2 });
    if (o.memory) {
      const { rss } = await trainerSteps(cache, path.join(dir, 'mem'), 1000, 5);
      const warm = rss[Math.min(3, rss.length - 1)];
      const growth = Math.max(...rss.slice(3)) / warm - 1;
      log(`  RSS after warm-up ${(warm / 2 ** 20).toFixed(0)} MiB, max growth ${(100 * growth).toFixed(1)}% over 1,000 steps`);
      rows.push({ suite: 'train-memory', config: '1,000 steps: RSS growth after warm-up (ours), 5% limit (pytorch column)', unit: '', ours: growth, pytorch: 0.05, ratio: growth / 0.05, rounds: 1 });
    }
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const i = process.argv.indexOf('--steps');
  benchOverhead({ steps: i >= 0 ? Number(process.argv[i + 1]) : 60, memory: process.argv.includes('--memory') })
    .then((rows) => console.log(JSON.stringify(rows)))
    .catch((e) => {
      console.error(`train-overhead: ${(e as Error).message}`);
      process.exit(1);
    });
}
