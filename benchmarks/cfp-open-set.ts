/**
 * CFP open set on real images (issue 5's acceptance): train on the CFP identities 001–100 (frontal
 * and profile images of folds 01–02), then evaluate frontal–frontal and frontal–profile
 * verification on fold 10 (identities 451–500, never seen in training) with `vgg2-torch eval
 * --protocol cfp --folds 10`, for the trained network and for the same network untrained (same
 * arch, same seed, no step taken). Random features already separate CFP pairs well above chance,
 * so the comparison, not 50%, is the baseline.
 *
 *   node dist/benchmarks/cfp-open-set.js [--arch resnet50 senet50] [--epochs 30] [--size 64] [--out runs/cfp-open-set]
 *
 * Training and evaluation run as `vgg2-torch` processes (the commands are printed, so each step
 * can be rerun by hand); the images are linked, never copied, into <out>/train-ids/.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { info } from '../lib/info';
import { writeFileAtomic } from '../lib/io/atomic-write';
import { Model, type Arch } from '../lib/model';
import type { EvalRecord as TrainEval, MetricRecord } from '../lib/train/run-folder';
import { linkCfpIdentities } from './cfp-identities';
import { repoRoot } from './harness';

const CLI = path.join(repoRoot, 'bin', 'vgg2-torch.js');
const SETTINGS = ['FF', 'FP'] as const;

interface Options {
  cfp: string;
  out: string;
  arch: Arch[];
  /** Training identities, by number (001–100 = the identities of folds 01–02). */
  first: number;
  last: number;
  testFold: string;
  epochs: number;
  size: number;
  batch: number;
  lr: number;
  warmup: number;
  holdout: number;
  seed: number;
  amp: string;
  /** Given explicitly (not the Trainer's 'auto') so that the recipe does not move with defaults. */
  channelsLast: boolean;
  flip: boolean;
  /** Skip training: evaluate the run folders a previous call left in `out` (e.g. with --flip). */
  evalOnly: boolean;
}

/** One column of the table: a weights file's fold-10 numbers. */
interface Column {
  arch: Arch;
  trained: boolean;
  weights: string;
  metrics: Record<
    (typeof SETTINGS)[number],
    { accuracy: number; threshold: number; eer: number; auc: number; pairs: number }
  >;
}

function vgg2(args: string[]): number {
  const t0 = Date.now();
  console.error(`$ vgg2-torch ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`vgg2-torch ${args[0]} failed (exit ${r.status ?? r.signal})`);
  return (Date.now() - t0) / 1000;
}

function trainArgs(o: Options, arch: Arch, data: string, run: string): string[] {
  return [
    'train',
    '--data',
    data,
    '--out',
    run,
    '--arch',
    arch,
    '--seed',
    String(o.seed),
    '--epochs',
    String(o.epochs),
    '--batch-size',
    String(o.batch),
    '--lr',
    String(o.lr),
    '--schedule',
    'cosine',
    '--warmup-epochs',
    String(o.warmup),
    '--input-size',
    String(o.size),
    '--crop',
    'none',
    '--amp',
    o.amp,
    '--channels-last',
    String(o.channelsLast),
    '--holdout-per-class',
    String(o.holdout),
    '--eval-every',
    '5',
    '--log-every',
    '50',
    '--checkpoint-every',
    String(o.epochs),
    '--keep-checkpoints',
    '1',
    '--progress',
    'lines',
  ];
}

function lastEval(run: string): TrainEval | undefined {
  const log = path.join(run, 'metrics.jsonl');
  const evals = fs
    .readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MetricRecord)
    .filter((m): m is TrainEval => m.type === 'eval');
  return evals[evals.length - 1];
}

/** `vgg2-torch eval --protocol cfp --folds F` on both files; its JSON, one column per file. */
function evaluateFold(
  o: Options,
  arch: Arch,
  files: { weights: string; trained: boolean }[],
): { columns: Column[]; seconds: number; args: string[] } {
  const json = path.join(o.out, `${arch}-fold${o.testFold}${o.flip ? '-flip' : ''}.json`);
  const args = [
    'eval',
    '--protocol',
    'cfp',
    '--folds',
    o.testFold,
    '--data',
    o.cfp,
    '--weights',
    ...files.map((f) => f.weights),
    '--json',
    json,
  ];
  if (o.flip) args.push('--flip');
  const seconds = vgg2(args);
  const records = JSON.parse(fs.readFileSync(json, 'utf8')) as {
    weights: string;
    metrics: Record<string, Record<string, number>>;
  }[];
  const columns = records.map((r, k): Column => {
    const metrics = {} as Column['metrics'];
    for (const s of SETTINGS) {
      const m = r.metrics[s];
      // One fold: no other folds to pick a threshold on, so it is fitted on the fold (the same for both columns).
      metrics[s] = { accuracy: m.best_accuracy, threshold: m.best_threshold, eer: m.eer, auc: m.auc, pairs: m.pairs };
    }
    return { arch, trained: files[k].trained, weights: r.weights, metrics };
  });
  return { columns, seconds, args };
}

const pct = (x: number) => (100 * x).toFixed(1);

function table(columns: Column[]): string {
  const head = '| model | FF accuracy | FF EER | FF AUC | FP accuracy | FP EER | FP AUC |';
  const rows = columns.map((c) => {
    const cells = SETTINGS.flatMap((s) => [
      pct(c.metrics[s].accuracy),
      pct(c.metrics[s].eer),
      c.metrics[s].auc.toFixed(3),
    ]);
    return `| ${c.arch} ${c.trained ? 'trained' : 'untrained'} | ${cells.join(' | ')} |`;
  });
  return [head, '|---|---|---|---|---|---|---|', ...rows].join('\n');
}

async function main(o: Options): Promise<void> {
  const t0 = Date.now();
  o.out = path.resolve(o.out);
  fs.mkdirSync(o.out, { recursive: true });
  const { dir, ids } = linkCfpIdentities(o.cfp, o, o.testFold, path.join(o.out, 'train-ids'));
  console.error(
    `training identities: ${ids[0]}–${ids[ids.length - 1]} (${ids.length}), linked in ${dir}; test: CFP fold ${o.testFold}`,
  );
  const hw = info();
  const results: Record<string, unknown>[] = [];
  const columns: Column[] = [];
  for (const arch of o.arch) {
    const run = path.join(o.out, arch);
    const trainCmd = trainArgs(o, arch, dir, run);
    let trainSeconds: number | undefined;
    if (o.evalOnly) {
      if (!fs.existsSync(path.join(run, 'model.safetensors')))
        throw new Error(`--eval-only: ${run}/model.safetensors is missing (train first)`);
    } else {
      fs.rmSync(run, { recursive: true, force: true });
      trainSeconds = vgg2(trainCmd);
    }
    const closed = lastEval(run);
    // The untrained network: what the Trainer starts from (same arch, classes, seed, input size).
    const untrained = path.join(o.out, `${arch}-untrained.safetensors`);
    const model = await Model.create({ arch, numClasses: ids.length, seed: o.seed, inputSize: o.size });
    try {
      await model.save(untrained);
    } finally {
      model.dispose();
    }
    const ev = evaluateFold(o, arch, [
      { weights: untrained, trained: false },
      { weights: path.join(run, 'model.safetensors'), trained: true },
    ]);
    columns.push(...ev.columns);
    results.push({
      arch,
      train: {
        command: `vgg2-torch ${trainCmd.join(' ')}`,
        wall_s: trainSeconds,
        train_s: closed?.seconds,
        val_top1: closed?.val_top1,
        val_top5: closed?.val_top5,
        val_images: closed?.val_images,
      },
      eval: { command: `vgg2-torch ${ev.args.join(' ')}`, wall_s: ev.seconds },
      columns: ev.columns,
    });
    console.error(
      `${arch}: trained in ${trainSeconds?.toFixed(0) ?? '(earlier run)'} s wall, closed-set held-out top-1 ${closed ? pct(closed.val_top1) : '?'}%`,
    );
  }
  const summary = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} × ${hw.cpu.model}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end`,
    versions: { vgg2_torch: hw.version, libtorch: hw.libtorch, node: process.version },
    recipe: { ...o, cfp: path.resolve(o.cfp) },
    wall_s: (Date.now() - t0) / 1000,
    results,
  };
  const name = `results${o.flip ? '-flip' : ''}`;
  writeFileAtomic(path.join(o.out, `${name}.json`), JSON.stringify(summary, null, 2) + '\n');
  const md = `CFP fold ${o.testFold}${o.flip ? ', flip TTA' : ''} (${columns[0].metrics.FF.pairs} FF and ${columns[0].metrics.FP.pairs} FP pairs; accuracy at the threshold best on the fold, EER in %)\n\n${table(columns)}\n`;
  writeFileAtomic(path.join(o.out, `${name}.md`), md);
  console.log(md);
  const beats = o.arch.every((a) => {
    const [u, t] = [columns.find((c) => c.arch === a && !c.trained)!, columns.find((c) => c.arch === a && c.trained)!];
    return SETTINGS.every((s) => t.metrics[s].auc > u.metrics[s].auc && t.metrics[s].accuracy > u.metrics[s].accuracy);
  });
  console.log(
    `trained beats untrained on FF and FP (accuracy and AUC), every arch: ${beats ? 'yes' : 'NO'}; total ${(summary.wall_s / 60).toFixed(1)} min wall; ${path.join(o.out, `${name}.json`)}`,
  );
  if (!beats) process.exitCode = 2;
}

if (require.main === module) {
  const argv = yargs(hideBin(process.argv))
    .option('cfp', {
      type: 'string',
      default: path.resolve(repoRoot, '..', 'shared', 'data', 'cfp'),
      describe: 'CFP root (Protocol/, Data/Images/)',
    })
    .option('out', {
      type: 'string',
      default: path.join(repoRoot, 'runs', 'cfp-open-set'),
      describe: 'Work folder: links, run folders, weights, results',
    })
    .option('arch', { type: 'string', array: true, choices: ['resnet50', 'senet50'], default: ['resnet50'] })
    .option('first', { type: 'number', default: 1, describe: 'First training identity number' })
    .option('last', { type: 'number', default: 100, describe: 'Last training identity number' })
    .option('test-fold', {
      type: 'string',
      default: '10',
      describe: 'CFP fold to evaluate on (its identities must not be trained on)',
    })
    .option('epochs', { type: 'number', default: 30 })
    .option('size', { type: 'number', default: 64, describe: 'Input side (training and evaluation)' })
    .option('batch', { type: 'number', default: 32 })
    .option('lr', { type: 'number', default: 0.05 })
    .option('warmup', { type: 'number', default: 2, describe: 'Warmup epochs' })
    .option('holdout', { type: 'number', default: 2, describe: 'Images per identity held out for closed-set top-1' })
    .option('seed', { type: 'number', default: 0 })
    .option('amp', { type: 'string', choices: ['auto', 'bf16', 'off'], default: 'auto' })
    .option('channels-last', {
      type: 'boolean',
      default: false,
      describe: 'channels_last in training (off in the recorded runs)',
    })
    .option('flip', { type: 'boolean', default: false, describe: 'Flip test-time augmentation in the evaluation' })
    .option('eval-only', {
      type: 'boolean',
      default: false,
      describe: 'Evaluate the runs an earlier call left in --out, without training',
    })
    .strict()
    .parseSync();
  main({
    cfp: argv.cfp,
    out: argv.out,
    arch: argv.arch as Arch[],
    first: argv.first,
    last: argv.last,
    testFold: argv['test-fold'],
    epochs: argv.epochs,
    size: argv.size,
    batch: argv.batch,
    lr: argv.lr,
    warmup: argv.warmup,
    holdout: argv.holdout,
    seed: argv.seed,
    amp: argv.amp,
    channelsLast: argv['channels-last'],
    flip: argv.flip,
    evalOnly: argv['eval-only'],
  }).catch((e) => {
    console.error(`cfp-open-set: ${(e as Error).message}`);
    process.exit(1);
  });
}
