/**
 * Our Trainer against ../shared/reference/train_reference.py on ORL (40 identities, 8 training and
 * 2 held-out images each, ResNet-50 from scratch, 112×112, batch 16, lr 0.01, warmup + cosine,
 * bf16): held-out top-1 and training seconds of both, measured in one run, one seed each.
 * Target: ours ≥ 90% top-1 in ≤ 1.05 × PyTorch's seconds. About 6 minutes per side on 2 cores.
 *
 *   node dist/benchmarks/train-orl.js [--epochs 40] [--seed 0] [--arch resnet50]
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { reference, repoRoot, type Row } from './harness';
import type { EvalRecord, MetricRecord } from '../lib/train/run-folder';
import { Trainer } from '../lib/train/trainer';

export interface OrlOptions {
  epochs?: number;
  seed?: number;
  arch?: 'resnet50' | 'senet50';
  log?: (line: string) => void;
}

export interface OrlResult {
  ours: { top1: number; seconds: number };
  pytorch: { top1: number; seconds: number };
}

const orl = path.resolve(repoRoot, '..', 'shared', 'data', 'orl');

export async function benchOrl(o: OrlOptions = {}): Promise<OrlResult> {
  const epochs = o.epochs ?? 40;
  const seed = o.seed ?? 0;
  const arch = o.arch ?? 'resnet50';
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  if (!fs.existsSync(orl)) throw new Error(`${orl} is missing (the shared data folder)`);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-bench-orl-'));
  const trainer = new Trainer({
    data: orl, out, arch, epochs, seed, batchSize: 16, lr: 0.01, schedule: 'cosine', warmupEpochs: 2,
    holdoutPerClass: 2, inputSize: 112, crop: 'none', amp: 'bf16', evalEvery: 1, logEvery: 1000, checkpointEvery: 1000,
  });
  trainer.on('eval', (r: EvalRecord) => log(`  ours epoch ${r.epoch}: top-1 ${r.val_top1} at ${r.seconds} s`));
  await trainer.fit();
  const evals = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l) as MetricRecord).filter((m): m is EvalRecord => m.type === 'eval');
  const last = evals[evals.length - 1];
  log(`  pytorch: train_reference.py --epochs ${epochs} --seed ${seed} (one JSON line per epoch)`);
  const ref = reference('train_reference.py', ['--root', orl, '--arch', arch, '--lr', '0.01', '--bf16', '--channels-last', '--epochs', String(epochs), '--seed', String(seed)]);
  fs.rmSync(out, { recursive: true, force: true });
  return { ours: { top1: last.val_top1, seconds: last.seconds }, pytorch: { top1: Number(ref.val_top1), seconds: Number(ref.seconds) } };
}

/** As rows of `npm run bench`'s table: seconds (ratio ours / PyTorch, target ≤ 1.05) and top-1. */
export function orlRows(r: OrlResult, epochs: number): Row[] {
  return [
    { suite: 'train-orl', config: `ResNet-50 112px b16 ${epochs} ep: seconds`, unit: 's', ours: r.ours.seconds, pytorch: r.pytorch.seconds, ratio: r.ours.seconds / r.pytorch.seconds, rounds: 1 },
    { suite: 'train-orl', config: 'held-out top-1', unit: '', ours: r.ours.top1, pytorch: r.pytorch.top1, ratio: r.ours.top1 / r.pytorch.top1, rounds: 1 },
  ];
}

if (require.main === module) {
  const arg = (n: string) => {
    const i = process.argv.indexOf(`--${n}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const epochs = Number(arg('epochs') ?? 40);
  benchOrl({ epochs, seed: Number(arg('seed') ?? 0), arch: (arg('arch') as 'resnet50' | undefined) ?? 'resnet50' })
    .then((r) => {
      console.log(JSON.stringify({ ...r, time_ratio: r.ours.seconds / r.pytorch.seconds, pass: r.ours.top1 >= 0.9 && r.ours.seconds <= 1.05 * r.pytorch.seconds }));
    })
    .catch((e) => {
      console.error(`train-orl: ${(e as Error).message}`);
      process.exit(1);
    });
}
