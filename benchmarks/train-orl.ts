/**
 * Our Trainer against ../shared/reference/train_reference.py on ORL (40 identities, 8 training and
 * 2 held-out images each, from scratch, 112×112, batch 16, lr 0.01, 2 warmup epochs + cosine,
 * bf16; the reference also with --channels-last, as the recipe): held-out top-1 and
 * training seconds (evaluations included, as the reference counts them) of both, measured in one
 * run. Target: ours ≥ 90% top-1 in ≤ 1.05 × PyTorch's seconds. About 6 minutes per side per seed
 * on 2 cores.
 *
 *   npm run bench -- --only train-orl [--seeds 0,1,2] [--arch resnet50,senet50]   (benchmarks/suites/train-orl.ts)
 *   node dist/benchmarks/train-orl.js [--epochs 40] [--seed 0] [--arch resnet50]
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { reference, repoRoot, type Row } from './harness';
import type { EvalEvent } from '../lib/train/trainer';
import { Trainer } from '../lib/train/trainer';

export type Arch = 'resnet50' | 'senet50';

export interface OrlOptions {
  epochs?: number;
  seed?: number;
  arch?: Arch;
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
  let last: EvalEvent | undefined;
  try {
    const trainer = new Trainer({
      data: orl,
      out,
      arch,
      epochs,
      seed,
      batchSize: 16,
      lr: 0.01,
      schedule: 'cosine',
      warmupEpochs: 2,
      holdoutPerClass: 2,
      inputSize: 112,
      crop: 'none',
      amp: 'bf16',
      evalEvery: 1,
      logEvery: 1000,
      checkpointEvery: 1000,
    });
    trainer.on('log', () => undefined);
    trainer.on('eval', (r: EvalEvent) => {
      last = r;
      log(`  ours ${arch} seed ${seed} epoch ${r.epoch}: top-1 ${r.valTop1} at ${r.seconds} s`);
    });
    await trainer.fit();
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  log(`  pytorch: train_reference.py --arch ${arch} --epochs ${epochs} --seed ${seed}`);
  const ref = reference('train_reference.py', [
    '--root',
    orl,
    '--arch',
    arch,
    '--lr',
    '0.01',
    '--bf16',
    '--channels-last',
    '--epochs',
    String(epochs),
    '--seed',
    String(seed),
  ]);
  log(`  pytorch ${arch} seed ${seed}: top-1 ${ref.val_top1} at ${ref.seconds} s`);
  return {
    ours: { top1: last!.valTop1, seconds: last!.seconds },
    pytorch: { top1: Number(ref.val_top1), seconds: Number(ref.seconds) },
  };
}

/** As rows of `npm run bench`'s table: seconds (ours / PyTorch ≤ 1.05) and held-out top-1 (ours ≥ 0.90). */
export function orlRows(r: OrlResult, arch: Arch, epochs: number, seed: number): Row[] {
  const name = arch === 'resnet50' ? 'ResNet-50' : 'SE-ResNet-50';
  return [
    {
      suite: 'train-orl',
      config: `${name} 112px b16 ${epochs} ep seed ${seed}: seconds`,
      unit: 's',
      ours: r.ours.seconds,
      pytorch: r.pytorch.seconds,
      ratio: r.ours.seconds / r.pytorch.seconds,
      targetMax: 1.05,
      rounds: 1,
    },
    {
      suite: 'train-orl',
      config: `${name} seed ${seed}: held-out top-1 (target: ours ≥ 0.90)`,
      unit: '',
      ours: r.ours.top1,
      pytorch: r.pytorch.top1,
      ratio: r.ours.top1 / r.pytorch.top1,
      rounds: 1,
    },
  ];
}

if (require.main === module) {
  const argv = yargs(hideBin(process.argv))
    .option('epochs', { type: 'number', default: 40 })
    .option('seed', { type: 'number', default: 0 })
    .option('arch', { choices: ['resnet50', 'senet50'] as const, default: 'resnet50' as const })
    .strict()
    .parseSync();
  benchOrl({ epochs: argv.epochs, seed: argv.seed, arch: argv.arch })
    .then((r) => {
      console.log(
        JSON.stringify({
          ...r,
          time_ratio: r.ours.seconds / r.pytorch.seconds,
          pass: r.ours.top1 >= 0.9 && r.ours.seconds <= 1.05 * r.pytorch.seconds,
        }),
      );
    })
    .catch((e) => {
      console.error(`train-orl: ${(e as Error).message}`);
      process.exit(1);
    });
}
