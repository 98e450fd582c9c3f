/**
 * The run folder: config.json (resolved), metrics.jsonl (one JSON record per line, the fields
 * train_reference.py prints), checkpoints/, model.safetensors, report.html.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeReport } from '../eval/report/html';
import { writeFileAtomic } from '../io/atomic-write';
import { makeDirs } from '../io/output-path';
import { processAlive } from '../io/process-alive';

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

/** runs/<name>, or the first of runs/<name>-2, -3, … that does not exist yet: a run folder is never reused silently. */
export function freeRunDir(base: string): string {
  if (!fs.existsSync(base)) return base;
  for (let i = 2; ; i++) if (!fs.existsSync(`${base}-${i}`)) return `${base}-${i}`;
}

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

  /** True when the folder holds a run's files (config, metrics, checkpoints or a model). */
  hasRun(): boolean {
    if ([this.configFile, this.metricsFile, this.modelFile].some((f) => fs.existsSync(f))) return true;
    try {
      return fs.readdirSync(this.checkpoints).length > 0;
    } catch {
      return false;
    }
  }

  get lockFile(): string {
    return path.join(this.dir, 'train.lock');
  }

  /**
   * Takes train.lock (created exclusively, holding the pid): a second trainer on the same folder
   * fails at once, naming the holder. A lock left by a process that no longer exists is taken over.
   * Returns the release function.
   */
  lock(): () => void {
    const file = this.lockFile;
    for (let attempt = 0; ; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx');
        fs.writeSync(fd, `${process.pid}\n`);
        fs.closeSync(fd);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
        const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid))
          throw new Error(
            `${this.dir} is in use by another train process (pid ${pid}, ${file}); wait for it, stop it, or use another --out`,
            { cause: err },
          );
        // Stale (dead holder or unreadable): take it over.
        fs.rmSync(file, { force: true });
      }
    }
    return () => {
      try {
        if (Number.parseInt(fs.readFileSync(file, 'utf8'), 10) === process.pid) fs.rmSync(file, { force: true });
      } catch {
        // already gone
      }
    };
  }

  writeConfig(config: object): void {
    writeFileAtomic(this.configFile, JSON.stringify(config, null, 2) + '\n');
  }

  readConfig(): unknown | undefined {
    if (!fs.existsSync(this.configFile)) return undefined;
    const text = fs.readFileSync(this.configFile, 'utf8');
    let config: unknown;
    try {
      config = JSON.parse(text);
    } catch (e) {
      throw new Error(`${this.configFile}: not valid JSON (${(e as Error).message}); restore it or start a new run`, {
        cause: e,
      });
    }
    if (typeof config !== 'object' || config === null || Array.isArray(config))
      throw new Error(`${this.configFile}: expected a JSON object of config keys, got ${JSON.stringify(config)}`);
    return config;
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
