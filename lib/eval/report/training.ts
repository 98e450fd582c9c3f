/** A run folder's metrics.jsonl (written by the trainer): one JSON object per line, type "train" or "eval". */
import * as fs from 'fs';
import * as path from 'path';
import { readTextFile } from '../../io/input-file';

export interface TrainingRecord {
  type: 'train' | 'eval';
  epoch: number;
  step: number;
  seconds?: number;
  lr?: number;
  loss?: number;
  images_per_s?: number;
  val_top1?: number;
  val_top5?: number;
  val_verify_auc?: number;
  val_verify_eer?: number;
}

/** `run` is a run folder or its metrics.jsonl; a malformed line is an error naming file and line. */
export function readTrainingLog(run: string): TrainingRecord[] {
  const file = fs.existsSync(run) && fs.statSync(run).isDirectory() ? path.join(run, 'metrics.jsonl') : run;
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file (a run folder holds metrics.jsonl)`);
  const out: TrainingRecord[] = [];
  readTextFile(file, 'training log')
    .split(/\r?\n/)
    .forEach((raw, k) => {
      if (!raw.trim()) return;
      let rec: TrainingRecord;
      try {
        rec = JSON.parse(raw);
      } catch {
        throw new Error(`${file}:${k + 1}: not JSON`);
      }
      if (
        (rec.type !== 'train' && rec.type !== 'eval') ||
        typeof rec.step !== 'number' ||
        typeof rec.epoch !== 'number'
      ) {
        throw new Error(`${file}:${k + 1}: expected {"type": "train"|"eval", "epoch": N, "step": N, ...}`);
      }
      out.push(rec);
    });
  if (out.length === 0) throw new Error(`${file}: empty`);
  return out;
}

/** The run's resolved config (config.json next to metrics.jsonl), when there is one. */
export function readRunConfig(run: string): Record<string, unknown> | undefined {
  const dir = fs.existsSync(run) && fs.statSync(run).isDirectory() ? run : path.dirname(run);
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(readTextFile(file, 'run config')) as Record<string, unknown>;
  } catch {
    throw new Error(`${file}: not JSON`);
  }
}

/** The config keys a reader of the report wants first. */
const CONFIG_KEYS = [
  'arch',
  'data',
  'cache',
  'demo',
  'inputSize',
  'crop',
  'epochs',
  'batchSize',
  'accumulate',
  'lr',
  'schedule',
  'warmupEpochs',
  'loss',
  'amp',
  'balanced',
  'holdoutPerClass',
  'splitSeed',
  'init',
  'seed',
];

/** A rate as the CLI prints it: 0.1111 → "11.1%". */
const pct = (v: number | undefined) => (v === undefined ? undefined : `${(v * 100).toFixed(1)}%`);

/** Rows of the report's training table: the run's outcome from its log, then its main settings. */
export function trainingSummary(log: TrainingRecord[], config?: Record<string, unknown>): [string, string | number][] {
  const last = log[log.length - 1];
  const evals = log.filter((r) => r.type === 'eval' && r.val_top1 !== undefined);
  const lastEval = evals[evals.length - 1];
  const best = evals.reduce<TrainingRecord | undefined>((b, r) => (!b || r.val_top1! > b.val_top1! ? r : b), undefined);
  const rows: [string, string | number | undefined][] = [
    ['steps', last.step],
    ['epochs done', last.epoch],
    ['training seconds', last.seconds],
    // The same two numbers, by the same names, as the CLI: its progress line's window mean and its
    // "eval epoch N: … epoch mean train loss" (docs/training.md, the progress line's legend).
    ['train loss (last log window)', [...log].reverse().find((r) => r.type === 'train')?.loss],
    ['epoch mean train loss (last epoch)', [...log].reverse().find((r) => r.type === 'eval')?.loss],
    ['held-out top-1 (last)', pct(lastEval?.val_top1)],
    ['held-out top-5 (last)', pct(lastEval?.val_top5)],
    ['held-out top-1 (best)', best ? `${pct(best.val_top1)} (step ${best.step})` : undefined],
    ['held-out pairs AUC (last)', pct(lastEval?.val_verify_auc)],
    ['held-out pairs EER (last)', pct(lastEval?.val_verify_eer)],
    ...CONFIG_KEYS.filter((k) => config?.[k] !== undefined && config[k] !== false).map((k): [string, string] => [
      k,
      typeof config![k] === 'string' ? (config![k] as string) : JSON.stringify(config![k]),
    ]),
  ];
  return rows.filter((r): r is [string, string | number] => r[1] !== undefined);
}
