/**
 * The Trainer's overhead on cached data against the bare native training step on one fixed batch
 * (target: ≤ 3% fewer images/s; our code against our code, as a ratio), and the opt-in memory
 * check: resident memory over 1,000 Trainer steps (target: growth < 5% after warm-up). Both on a
 * small config: ResNet-50, 64 px, batch 16, bf16.
 *
 *   npm run bench -- --only trainer-overhead          (the suite: benchmarks/suites/trainer-overhead.ts)
 *   node dist/benchmarks/train-overhead.js --memory [--steps 1000]
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { prepareCache } from '../lib/data/cache';
import { openDataset } from '../lib/data/dataset';
import { writeDemoDataset } from '../lib/data/demo';
import { Model } from '../lib/model';
import { Trainer, type StepEvent } from '../lib/train/trainer';
import { median, type Row } from './harness';

const SIZE = 64;
const BATCH = 16;
const CLASSES = 16;

/** A raw LMDB cache of demo faces at the benchmark's size, in `dir`. */
async function demoCache(dir: string): Promise<string> {
  const data = path.join(dir, 'demo');
  await writeDemoDataset({ out: data, identities: 20, images: 30, size: 112 });
  const out = path.join(dir, 'demo.lmdb');
  await prepareCache({
    dataset: openDataset({ data }),
    dataPath: data,
    out,
    crop: 'loose',
    size: SIZE,
    encoding: 'raw',
  });
  return out;
}

/** images/s of the bare step on one fixed batch, after `warm` steps. */
async function bareStep(steps: number, warm: number): Promise<number> {
  // channels_last as the Trainer's default (auto: on), or the ratio measures the layout, not the Trainer.
  const model = await Model.create({ numClasses: CLASSES, amp: 'bf16', channelsLast: true, seed: 0 });
  const x = new Uint8Array(BATCH * SIZE * SIZE * 3).map((_, i) => (i * 31) % 251);
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % CLASSES);
  let t0 = 0;
  for (let i = 0; i < warm + steps; i++) {
    if (i === warm) t0 = performance.now();
    await model.trainStep(x, [BATCH, SIZE, SIZE, 3], labels, { lr: 0.001 });
  }
  model.dispose();
  return (steps * BATCH) / ((performance.now() - t0) / 1000);
}

/** images/s of Trainer steps on the cache (between step events, after `warm`), and RSS every `every` steps. */
async function trainerSteps(
  cache: string,
  out: string,
  steps: number,
  warm: number,
  every = 50,
): Promise<{ rate: number; rss: number[] }> {
  const trainer = new Trainer({
    cache,
    out,
    batchSize: BATCH,
    lr: 0.001,
    epochs: 1000,
    maxSteps: warm + steps,
    holdoutPerClass: 0,
    amp: 'bf16',
    logEvery: 1_000_000,
    checkpointEvery: 1_000_000,
    warmupEpochs: 0,
    schedule: 'cosine',
  });
  trainer.on('log', () => undefined);
  let t0 = 0;
  let t1 = 0;
  const rss: number[] = [];
  trainer.on('step', (e: StepEvent) => {
    if (e.step === warm) t0 = performance.now();
    if (e.step === warm + steps) t1 = performance.now();
    if (e.step % every === 0) rss.push(process.memoryUsage.rss());
  });
  await trainer.fit();
  return { rate: (steps * BATCH) / ((t1 - t0) / 1000), rss };
}

async function withCache<T>(fn: (cache: string, dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-bench-trainer-'));
  try {
    return await fn(await demoCache(dir), dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Trainer vs bare step, alternated `rounds` times (both see the same machine load); medians. */
export function benchOverhead(o: { steps: number; rounds: number; log: (l: string) => void }): Promise<Row> {
  return withCache(async (cache, dir) => {
    const bare: number[] = [];
    const ours: number[] = [];
    for (let r = 0; r < o.rounds; r++) {
      bare.push(await bareStep(o.steps, 5));
      ours.push((await trainerSteps(cache, path.join(dir, `run${r}`), o.steps, 5)).rate);
      o.log(`  round ${r + 1}/${o.rounds}: trainer ${ours[r].toFixed(1)} img/s, bare step ${bare[r].toFixed(1)} img/s`);
    }
    const a = median(ours);
    const b = median(bare);
    return {
      suite: 'trainer-overhead',
      config: `Trainer on a raw cache vs the bare step on one batch, ResNet-50 ${SIZE}px b${BATCH} bf16, ${o.steps} steps`,
      unit: 'img/s',
      ours: a,
      pytorch: b,
      ratio: a / b,
      target: 0.97,
      baseline: 'bare native step',
      rounds: o.rounds,
    };
  });
}

/** RSS every 50 steps over `steps` Trainer steps; growth = max after warm-up (the 4th sample) / warm-up − 1. */
export function benchMemory(o: { steps: number; log: (l: string) => void }): Promise<Row> {
  return withCache(async (cache, dir) => {
    const every = Math.max(1, Math.floor(o.steps / 20));
    const { rss } = await trainerSteps(cache, path.join(dir, 'mem'), o.steps, 5, every);
    const warm = rss[Math.min(3, rss.length - 1)];
    const growth = Math.max(...rss.slice(3)) / warm - 1;
    o.log(`  RSS (MiB) every ${every} steps: ${rss.map((r) => (r / 2 ** 20).toFixed(0)).join(' ')}`);
    o.log(
      `  after warm-up ${(warm / 2 ** 20).toFixed(0)} MiB, max growth ${(100 * growth).toFixed(2)}% over ${o.steps} steps (limit 5%)`,
    );
    return {
      suite: 'train-memory',
      config: `${o.steps} Trainer steps: RSS growth after warm-up`,
      unit: '',
      ours: growth,
      pytorch: 0.05,
      ratio: growth / 0.05,
      targetMax: 1,
      baseline: '5% limit',
      rounds: 1,
    };
  });
}

if (require.main === module) {
  const argv = yargs(hideBin(process.argv))
    .option('memory', { type: 'boolean', default: false, describe: 'The RSS check instead of the overhead' })
    .option('steps', { type: 'number', describe: 'Trainer steps [default: 1000 with --memory, else 60]' })
    .option('rounds', { type: 'number', default: 3 })
    .strict()
    .parseSync();
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const run = argv.memory
    ? benchMemory({ steps: argv.steps ?? 1000, log })
    : benchOverhead({ steps: argv.steps ?? 60, rounds: argv.rounds, log });
  run
    .then((row) => {
      console.log(
        JSON.stringify({
          ...row,
          pass: row.target !== undefined ? row.ratio >= row.target : row.ratio <= row.targetMax!,
        }),
      );
    })
    .catch((e) => {
      console.error(`train-overhead: ${(e as Error).message}`);
      process.exit(1);
    });
}
