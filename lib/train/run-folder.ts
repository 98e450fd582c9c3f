/**
 * The run folder: config.json (resolved), metrics.jsonl (one JSON record per line, the fields
 * train_reference.py prints), checkpoints/, model.safetensors, report.html.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeReport } from '../eval/report/html';
import { writeFileAtomic } from '../io/atomic-write';
import { makeDirs } from '../io/output-path';

export interface TrainRecord {
  type: 'train';
  /** 1-based. */
  epoch: number;
  /** Global optimizer step (1-based: the number of updates done). */
  step: number;
  /** Training time since the start, summed across resumes. */
  seconds: number;
  lr: number;
  /** Mean loss and top-1 (fraction) over the steps since the previous record. */
  loss: number;
  top1: number;
  images_per_s: number;
}

export interface EvalRecord {
  type: 'eval';
  epoch: number;
  step: number;
  seconds: number;
  lr: number;
  /** Mean training loss of the epoch. */
  loss: number;
  images_per_s: number;
  val_top1: number;
  val_top5: number;
  val_images: number;
  /** Verification on pairs of held-out images (cosine of embeddings): ROC AUC and EER. */
  val_verify_auc?: number;
  val_verify_eer?: number;
}

export type MetricRecord = TrainRecord | EvalRecord;

export class RunFolder {
  readonly configFile: string;
  readonly metricsFile: string;
  readonly checkpoints: string;
  readonly modelFile: string;
  readonly reportFile: string;

  constructor(readonly dir: string) {
    this.configFile = path.join(dir, 'config.json');
    this.metricsFile = path.join(dir, 'metrics.jsonl');
    this.checkpoints = path.join(dir, 'checkpoints');
    this.modelFile = path.join(dir, 'model.safetensors');
    this.reportFile = path.join(dir, 'report.html');
  }

  create(): void {
    makeDirs(this.checkpoints, '--out', this.dir); // not mkdirSync recursive: it spins forever under /proc
  }

  writeConfig(config: object): void {
    writeFileAtomic(this.configFile, JSON.stringify(config, null, 2) + '\n');
  }

  readConfig(): unknown | undefined {
    if (!fs.existsSync(this.configFile)) return undefined;
    return JSON.parse(fs.readFileSync(this.configFile, 'utf8'));
  }

  /** Rewrites metrics.jsonl with exactly these records (a resume drops lines past its checkpoint). */
  resetMetrics(records: readonly MetricRecord[]): void {
    writeFileAtomic(this.metricsFile, records.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  appendMetric(record: MetricRecord): void {
    fs.appendFileSync(this.metricsFile, JSON.stringify(record) + '\n');
  }

  /** report.html: the loss, lr and accuracy curves and a summary, by the evaluation report's code. */
  async writeReport(records: readonly MetricRecord[], config: object, title: string): Promise<string> {
    await writeReport(this.reportFile, {
      records: [],
      results: [],
      training: [...records],
      trainingConfig: config as Record<string, unknown>,
      title,
    });
    return this.reportFile;
  }
}
