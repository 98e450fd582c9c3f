/** A run folder's metrics.jsonl (written by the trainer): one JSON object per line, type "train" or "eval". */
import * as fs from 'fs';
import * as path from 'path';

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
}

/** `run` is a run folder or its metrics.jsonl; a malformed line is an error naming file and line. */
export function readTrainingLog(run: string): TrainingRecord[] {
  const file = fs.existsSync(run) && fs.statSync(run).isDirectory() ? path.join(run, 'metrics.jsonl') : run;
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file (a run folder holds metrics.jsonl)`);
  const out: TrainingRecord[] = [];
  fs.readFileSync(file, 'utf8').split(/\r?\n/).forEach((raw, k) => {
    if (!raw.trim()) return;
    let rec: TrainingRecord;
    try {
      rec = JSON.parse(raw);
    } catch {
      throw new Error(`${file}:${k + 1}: not JSON`);
    }
    if ((rec.type !== 'train' && rec.type !== 'eval') || typeof rec.step !== 'number' || typeof rec.epoch !== 'number') {
      throw new Error(`${file}:${k + 1}: expected {"type": "train"|"eval", "epoch": N, "step": N, ...}`);
    }
    out.push(rec);
  });
  if (out.length === 0) throw new Error(`${file}: empty`);
  return out;
}
