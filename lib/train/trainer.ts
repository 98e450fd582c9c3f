/**
 * Trainer: config → data → model → SGD steps with a per-iteration lr, validation, checkpoints,
 * metrics, and the final model.safetensors. Events: 'step', 'epoch', 'eval', 'checkpoint', 'log'.
 * Exact resume: a checkpoint holds model, momentum buffers, loader position, plateau state and
 * metrics; everything random in the data is a function of (seed, epoch, index).
 */
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import { ProcessGroup } from '../dist/group';
import { checkDistributed, distributedFromEnv, threadsPerRank, type DistributedOptions } from '../dist/options';
import { shardSampler } from '../dist/sampler';
import { Issues } from '../data/issues';
import { augmentIsOff } from '../data/augment';
import { Loader } from '../data/loader';
import { MemoryCache } from '../data/memory-cache';
import type { Batch } from '../data/types';
import { BalancedSampler, ShuffleSampler, type Position, type Sampler } from '../data/sampler';
import { info, setThreads } from '../info';
import { outputDim, Teacher } from './distill';
import { TransferSet } from './transfer';
import { describeWeights, Model } from '../model';
import { ConfigError, resolveConfig, type TrainConfig, type TrainConfigInput } from './config';
import { fsyncPath } from '../io/atomic-write';
import {
  BEST,
  checkpointNameClashes,
  fault,
  listCheckpoints,
  loadCheckpointFile,
  loadNewestCheckpoint,
  markBest,
  peekState,
  pruneCheckpoints,
  removeStaleTemporaries,
  writeCheckpoint,
  type TrainerCheckpointState,
} from './checkpoint';
import { inverseFrequencyWeights, openTrainData, type TrainData } from './data';
import { heldOutAccuracy } from './validation';
import { checkOutputDir } from '../io/output-path';
import { freeRunDir, RunFolder, type EvalRecord, type MetricRecord, type TrainRecord } from './run-folder';
import { INITIAL_PLATEAU, lrAt, plateauUpdate, type PlateauState, type ScheduleSpec } from './schedule';

export interface TrainerState {
  /** 1-based epoch in progress (or last finished). */
  epoch: number;
  /** Optimizer steps done. */
  step: number;
  totalSteps: number;
  stepsPerEpoch: number;
  lr: number;
  loss?: number;
  top1?: number;
  valTop1?: number;
  valTop5?: number;
  seconds: number;
}

export interface StepEvent {
  epoch: number;
  step: number;
  lr: number;
  loss: number;
  /** Fractions of the step's images. */
  top1: number;
  top5: number;
  images: number;
  skipped: boolean;
  /** Distilling: the step's embedding term (`loss` is the weighted total). */
  distillLoss?: number;
  /**
   * Means over the current log window (the last `logEvery` steps, up to and including this one): what
   * the progress line prints; at a log step exactly the metrics.jsonl "train" record's numbers.
   */
  window: WindowMeans;
}

/** A log window's means: loss per step, top-1 per image, images per second of training (evaluation excluded). */
export interface WindowMeans {
  loss: number;
  top1: number;
  imagesPerS: number;
  steps: number;
}

/** The 'epoch' event: the epoch's mean training loss (per step) and the run's seconds so far. */
export interface EpochEvent {
  epoch: number;
  loss: number;
  seconds: number;
}

/** The 'checkpoint' event. */
export interface CheckpointEvent {
  file: string;
  step: number;
  /** Held-out top-1 improved: this is also the best checkpoint. */
  best: boolean;
}

/**
 * The 'eval' event: the numbers of the metrics.jsonl "eval" record, camelCase like the rest of the
 * API (the file keeps its snake_case keys: val_top1 there is valTop1 here and in TrainerState).
 */
export interface EvalEvent {
  epoch: number;
  step: number;
  /** Training seconds so far, summed across resumes. */
  seconds: number;
  lr: number;
  /** Mean training loss of the epoch. */
  loss: number;
  imagesPerS: number;
  valTop1: number;
  valTop5: number;
  valImages: number;
  /** Verification on pairs of held-out images (cosine of embeddings): ROC AUC and EER. */
  valVerifyAuc?: number;
  valVerifyEer?: number;
}

/** The API's view of a metrics.jsonl "eval" record. */
export function evalEvent(r: EvalRecord): EvalEvent {
  return {
    epoch: r.epoch,
    step: r.step,
    seconds: r.seconds,
    lr: r.lr,
    loss: r.loss,
    imagesPerS: r.images_per_s,
    valTop1: r.val_top1,
    valTop5: r.val_top5,
    valImages: r.val_images,
    ...(r.val_verify_auc !== undefined ? { valVerifyAuc: r.val_verify_auc, valVerifyEer: r.val_verify_eer } : {}),
  };
}

/** The Trainer's events and their arguments. */
export interface TrainerEvents {
  step: [StepEvent];
  epoch: [EpochEvent];
  eval: [EvalEvent];
  checkpoint: [CheckpointEvent];
  log: [string];
}

export interface FitResult {
  /** How the run ended: complete, stopped by the signal (checkpoint saved), or already complete before. */
  status: 'complete' | 'stopped' | 'already-complete';
  state: TrainerState;
  /** model.safetensors when complete. */
  model?: string;
  /** report.html (loss, accuracy and lr curves) when complete, unless writing it failed (logged). */
  report?: string;
  /** The last checkpoint written. */
  checkpoint?: string;
  runDir: string;
}

export interface TrainerOptions {
  /** Continue the run in config.out from its newest good checkpoint, or from this checkpoint file. */
  resume?: true | string;
  /**
   * Data-parallel training on c10d (Gloo): this process's rank, the world size and where rank 0
   * listens; 'env' reads torchrun's / SLURM's variables (RANK, WORLD_SIZE, MASTER_ADDR, ...). Each
   * rank trains on its slice of every global batch (config.batchSize is the global batch);
   * gradients are averaged, and only rank 0 writes the run folder. Every rank runs the same config.
   */
  distributed?: DistributedOptions | 'env';
}

/** A config from a run folder (config.json) or a checkpoint (its saved config), for `--resume`. */
export function configForResume(target: string): { config: TrainConfigInput; checkpoint?: string } {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) throw new Error(`--resume ${target}: no such run folder or checkpoint`);
  if (stat.isDirectory()) {
    const config = new RunFolder(target).readConfig();
    if (!config)
      throw new Error(`--resume ${target}: no config.json in this folder (is it a run folder made with --out?)`);
    return { config: { ...(config as TrainConfigInput), out: path.resolve(target) } };
  }
  const state = peekState(target);
  return {
    config: { ...state.config, out: path.resolve(path.dirname(target), '..') },
    checkpoint: path.resolve(target),
  };
}

/** What one fit's steps share. */
interface Run {
  model: Model;
  data: TrainData;
  memory: MemoryCache;
  backboneLrScale: number;
  loader: Loader;
  batches: AsyncIterator<Batch>;
  spec: ScheduleSpec;
  lastCheckpoint?: string;
  /** The step of lastCheckpoint (−1: none yet). */
  lastCheckpointStep: number;
  /** Data-parallel runs: the ranks' group. */
  group?: ProcessGroup;
  /** Knowledge distillation: the model the student learns from. */
  teacher?: Teacher;
  /** Distillation's unlabelled images, joined to every batch. */
  transfer?: TransferSet;
  /** Starts of the log window and of the epoch's throughput clock (performance.now()). */
  windowStart: number;
  epochStart: number;
}

/** Sums over one step's batches. */
interface StepSums {
  loss: number;
  top1: number;
  top5: number;
  images: number;
  skipped: boolean;
  distillLoss?: number;
}

function wrapSampler(inner: Sampler, batchesPerEpoch: number): Sampler {
  return { batchesPerEpoch, batch: (e, b) => inner.batch(e, b) };
}

/** Typed listeners (declaration merging): `trainer.on('step', (e) => ...)` gets a StepEvent. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed events over EventEmitter
export interface Trainer {
  on<K extends keyof TrainerEvents>(event: K, listener: (...args: TrainerEvents[K]) => void): this;
  once<K extends keyof TrainerEvents>(event: K, listener: (...args: TrainerEvents[K]) => void): this;
  off<K extends keyof TrainerEvents>(event: K, listener: (...args: TrainerEvents[K]) => void): this;
  emit<K extends keyof TrainerEvents>(event: K, ...args: TrainerEvents[K]): boolean;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- typed events over EventEmitter
export class Trainer extends EventEmitter {
  readonly config: TrainConfig;
  readonly run: RunFolder;
  readonly issues: Issues;
  state: TrainerState;
  private readonly resume?: true | string;
  /** Checked once here: a bad rank or world size fails before anything is read. */
  private readonly distributed?: Required<DistributedOptions>;
  /** Rank 0 (or a single process): the one that writes the run folder, validates and logs. */
  readonly writer: boolean;
  private metrics: MetricRecord[] = [];
  private plateau: PlateauState = INITIAL_PLATEAU;
  private best: TrainerCheckpointState['best'] = null;
  private position: Position = { epoch: 0, batch: 0 };
  private secondsBase = 0;
  private fitStart = 0;
  /** Sums of the log window and the epoch so far (saved, so that a resumed run logs the same numbers). */
  private sums: TrainerCheckpointState['sums'] = {
    window: { loss: 0, top1: 0, images: 0, steps: 0 },
    epoch: { loss: 0, steps: 0, images: 0 },
  };

  constructor(config: TrainConfigInput, options: TrainerOptions = {}) {
    super();
    this.config = resolveConfig(config);
    // Without an explicit folder a new run never reuses runs/<name>: runs/<name>-2, -3, … (a resume names its folder).
    if (config.out === undefined && !options.resume) this.config.out = freeRunDir(this.config.out);
    this.run = new RunFolder(this.config.out);
    this.resume = options.resume;
    const given = options.distributed === 'env' ? distributedFromEnv() : options.distributed;
    if (options.distributed === 'env' && !given)
      throw new ConfigError('distributed: env, but neither RANK/WORLD_SIZE nor SLURM_PROCID/SLURM_NTASKS is set');
    this.distributed = given && checkDistributed(given);
    this.writer = (this.distributed?.rank ?? 0) === 0;
    this.issues = new Issues({ strict: this.config.strictData, warn: (m) => this.log(`warning: ${m}`) });
    this.state = { epoch: 0, step: 0, totalSteps: 0, stepsPerEpoch: 0, lr: 0, seconds: 0 };
  }

  private log(message: string): void {
    if (!this.emit('log', message)) process.stderr.write(`${message}\n`);
  }

  private get seconds(): number {
    return this.secondsBase + (performance.now() - this.fitStart) / 1000;
  }

  private async createModel(data: TrainData, teacher?: Teacher): Promise<{ model: Model; backboneLrScale: number }> {
    const c = this.config;
    const hw = info();
    const cuda = hw.cuda && (c.device === 'auto' || c.device.startsWith('cuda'));
    const amp = c.amp !== 'auto' ? c.amp : cuda ? 'fp16' : hw.bf16 ? 'bf16' : 'off';
    // channels_last is faster on CUDA and, measured on a quiet machine, on this CPU's oneDNN too
    // (ResNet-50 bf16 64/112/224 px: +10%/+15%/+20%; fp32 112 px: +3%).
    const channelsLast = c.channelsLast === 'auto' ? true : c.channelsLast;
    const classes = data.dataset.classes.length;
    // A student whose embedding is not the teacher's size learns a projection onto it.
    const own = outputDim({ arch: c.arch, embeddingDim: c.embeddingDim });
    // Fine-tuning: the init file's arch must be ours; a pruned network's widths are the file's.
    const init = c.init ? await describeWeights(c.init) : undefined;
    if (init?.arch && init.arch !== c.arch) throw new ConfigError(`init ${c.init} is a ${init.arch}, not a ${c.arch}`);
    const model = await Model.create({
      arch: c.arch,
      numClasses: classes,
      embeddingDim: c.embeddingDim,
      distillDim: teacher && teacher.dim !== own ? teacher.dim : 0,
      innerWidths: init?.innerWidths,
      device: c.device,
      amp,
      channelsLast,
      inputSize: data.face.size,
      classNames: [...data.dataset.classes],
      momentum: c.momentum,
      weightDecay: c.weightDecay,
      nesterov: c.nesterov,
      seed: c.seed,
      loss: c.loss,
      marginScale: c.marginScale,
      margin: c.margin,
      classWeights: c.classWeights ? inverseFrequencyWeights(data.train.labels, classes) : undefined,
    });
    this.log(
      `model: ${c.arch}, ${classes} classes, ${model.config.device}, amp ${amp}, channels_last ${channelsLast}, loss ${c.loss}`,
    );
    // ResNet-50's last stage is (input / 32)² pixels: BatchNorm there normalises over batch × that
    // many values. Under ~16 its gradients and running statistics blow up (eval outputs overflow).
    const side = Math.ceil(data.face.size / 32);
    const perRank = c.batchSize / (this.distributed?.worldSize ?? 1);
    const lastStage = perRank * side ** 2;
    if (lastStage < 16)
      this.log(
        `warning: BatchNorm in the last stage sees ${lastStage} values per channel (batch ${perRank} × ` +
          `${side}² at input ${data.face.size}): training is unstable and evaluation may overflow; ` +
          'use --batch-size ≥ 16 or a larger --input-size',
      );
    if (c.init) await this.loadInit(model, classes);
    return { model, backboneLrScale: c.freezeBackbone ? 0 : c.backboneLrScale };
  }

  /** Fine-tuning start: every weight but a classifier of another size must fit. */
  private async loadInit(model: Model, classes: number): Promise<void> {
    const file = this.config.init!;
    // load() adopts the file's class names and input size: this run's are the new dataset's.
    const { classNames, inputSize } = model;
    const r = await model.load(file, { strict: false });
    Object.assign(model, { classNames, inputSize });
    const head = (n: string) => n.startsWith('fc.');
    const bad = [...r.missing, ...r.unexpected, ...r.mismatched].filter((n) => !head(n));
    if (bad.length) throw new Error(`init ${file} does not fit the model: ${bad.slice(0, 5).join('; ')}`);
    this.log(
      r.mismatched.length || r.missing.length
        ? `init: ${file} (backbone; new ${classes}-class classifier)`
        : `init: ${file} (all weights)`,
    );
  }

  private schedule(stepsPerEpoch: number): ScheduleSpec {
    const c = this.config;
    return {
      kind: c.schedule,
      lr: c.lr,
      stepsPerEpoch,
      epochs: c.epochs,
      warmupEpochs: c.warmupEpochs,
      milestones: c.milestones,
      gamma: c.gamma,
      minLr: c.minLr,
      patience: c.patience,
    };
  }

  private checkpointState(done: boolean): TrainerCheckpointState {
    return {
      version: 1,
      step: this.state.step,
      position: this.position,
      seconds: this.seconds,
      plateau: this.plateau,
      best: this.best,
      done,
      seed: this.config.seed,
      sums: this.sums,
      config: this.config,
      metrics: this.metrics,
    };
  }

  private async checkpoint(model: Model, done: boolean, improved: boolean): Promise<string> {
    if (!this.writer) return '';
    const file = await writeCheckpoint(model, this.run.checkpoints, this.checkpointState(done));
    if (improved) markBest(this.run.checkpoints, file);
    pruneCheckpoints(this.run.checkpoints, this.config.keepCheckpoints);
    this.emit('checkpoint', { file, step: this.state.step, best: improved });
    return file;
  }

  private record(r: MetricRecord): void {
    this.metrics.push(r);
    if (this.writer) this.run.appendMetric(r);
  }

  /** Restores a checkpoint's state; true when one was found. */
  private async restore(model: Model): Promise<TrainerCheckpointState | undefined> {
    if (this.writer) removeStaleTemporaries(this.run.checkpoints);
    const found =
      typeof this.resume === 'string'
        ? { file: this.resume, state: await loadCheckpointFile(model, this.resume) }
        : await loadNewestCheckpoint(model, this.run.checkpoints, (m) => this.log(`warning: ${m}`));
    if (!found) {
      this.log(`resume: no usable checkpoint in ${this.run.checkpoints}; starting again from config.json`);
      return undefined;
    }
    const s = found.state;
    this.metrics = s.metrics;
    this.plateau = s.plateau;
    this.best = s.best;
    this.position = s.position;
    this.secondsBase = s.seconds;
    this.sums = s.sums;
    this.state.step = s.step;
    if (this.writer) this.run.resetMetrics(this.metrics);
    this.log(`resume: ${found.file} (step ${s.step}, ${s.seconds.toFixed(1)} s of training so far)`);
    return s;
  }

  async fit(opts: { signal?: AbortSignal } = {}): Promise<FitResult> {
    const c = this.config;
    const dist = this.distributed;
    if (c.threads > 0) setThreads(c.threads);
    // Ranks sharing a machine share its cores.
    else if (dist && dist.localWorldSize > 1) setThreads(threadsPerRank(dist.localWorldSize));
    if (dist && c.batchSize % dist.worldSize !== 0)
      throw new ConfigError(`batchSize ${c.batchSize} (the global batch) does not split over ${dist.worldSize} ranks`);
    const transferBatch = c.transferBatchSize ?? c.batchSize;
    if (dist && c.transferData && transferBatch % dist.worldSize !== 0)
      throw new ConfigError(`transferBatchSize ${transferBatch} does not split over ${dist.worldSize} ranks`);
    if (this.writer) this.checkRunFolder();
    const group = dist ? await ProcessGroup.join(dist) : undefined;
    try {
      return await this.fitOn(group, opts.signal);
    } finally {
      group?.close();
    }
  }

  /** Rank 0's checks of --out before anything is read. */
  private checkRunFolder(): void {
    const c = this.config;
    if (!this.resume && !c.force && this.run.hasRun())
      throw new ConfigError(
        `${this.run.dir} already holds a run: continue it with --resume ${this.run.dir}, replace it with --force, or choose another --out`,
      );
    const clash = checkpointNameClashes(this.run.checkpoints)[0];
    // Found now, not at the save that would fail after hours of training.
    if (clash) throw new Error(`${clash} is a directory, not a checkpoint: move it out of ${this.run.checkpoints}`);
    // The folder is made only once the inputs are valid (a start that fails on bad data leaves
    // nothing behind), but whether it can be made is known now, before the data is read.
    checkOutputDir(this.run.dir, '--out');
  }

  private async fitOn(group: ProcessGroup | undefined, signal?: AbortSignal): Promise<FitResult> {
    const c = this.config;
    const data = await openTrainData(c, this.issues, (m) => this.log(m));
    // The resolved face settings are part of the resolved config.
    Object.assign(c, { inputSize: data.face.size, crop: data.face.crop, boxExtend: data.face.boxExtend });
    const teacher = c.teacher
      ? await Teacher.open(c, data.dataset.classes.length, data.face.size, (m) => this.log(m), {
          cache: c.cacheTeacher && augmentIsOff(c.augment),
        })
      : undefined;
    const transfer = c.transferData ? TransferSet.open(c, data.face, this.issues, (m) => this.log(m)) : undefined;
    let model: Model | undefined;
    const memory = new MemoryCache(c.memoryCacheMb, data.face);
    let unlock: (() => void) | undefined;
    try {
      const created = await this.createModel(data, teacher);
      model = created.model;
      if (this.writer) {
        this.run.create();
        unlock = this.run.lock();
      }
      return await this.loop(model, data, created.backboneLrScale, memory, signal, group, teacher, transfer);
    } finally {
      unlock?.();
      memory.clear();
      model?.dispose();
      const cache = teacher?.cache;
      if (cache)
        this.log(
          `teacher: ${cache.misses} images forwarded, ${cache.hits} from its cache (${cache.images} images held)`,
        );
      teacher?.dispose();
    }
  }

  private async loop(
    model: Model,
    data: TrainData,
    backboneLrScale: number,
    memory: MemoryCache,
    signal?: AbortSignal,
    group?: ProcessGroup,
    teacher?: Teacher,
    transfer?: TransferSet,
  ): Promise<FitResult> {
    const c = this.config;
    const inner = c.balanced
      ? new BalancedSampler(data.train.labels, {
          classesPerBatch: c.batchSize / c.imagesPerClass,
          imagesPerClass: c.imagesPerClass,
          seed: c.seed,
        })
      : new ShuffleSampler(data.train.size, c.batchSize, { seed: c.seed });
    const stepsPerEpoch = Math.floor(inner.batchesPerEpoch / c.accumulate);
    if (stepsPerEpoch < 1) {
      throw new ConfigError(`one epoch has ${inner.batchesPerEpoch} batches, fewer than accumulate (${c.accumulate})`);
    }
    const totalSteps = Math.min(c.epochs * stepsPerEpoch, c.maxSteps ?? Infinity);
    Object.assign(this.state, { stepsPerEpoch, totalSteps });
    const complete = await this.start(model, stepsPerEpoch);
    if (complete) return complete;
    if (group) await this.joinRanks(model, group);

    const sampler = wrapSampler(inner, stepsPerEpoch * c.accumulate);
    const loader = this.trainLoader(
      data,
      group ? shardSampler(sampler, group.rank, group.worldSize) : sampler,
      memory,
      c.batchSize / (group?.worldSize ?? 1),
    );
    transfer?.begin({
      start: this.state.step * c.accumulate,
      offset: data.train.size,
      labelledBatch: c.batchSize / (group?.worldSize ?? 1),
      memory,
      issues: this.issues,
      rank: group?.rank ?? 0,
      worldSize: group?.worldSize ?? 1,
    });
    const now = performance.now();
    const run: Run = {
      model,
      data,
      memory,
      backboneLrScale,
      loader,
      batches: loader[Symbol.asyncIterator](),
      spec: this.schedule(stepsPerEpoch),
      lastCheckpointStep: -1,
      group,
      teacher,
      transfer,
      windowStart: now,
      epochStart: now,
    };
    // Finished or stopped, the decodes ahead finish before train() resolves (the caller may delete
    // the data). After an error they are not waited for: a failing run must fail at once, and the
    // process usually ends with it.
    const closeData = () => Promise.all([loader.close(), transfer?.close()]);
    try {
      while (this.state.step < totalSteps) {
        const stopped = await this.step(run, signal);
        if (stopped) {
          await closeData();
          return stopped;
        }
      }
    } catch (e) {
      void closeData();
      throw e;
    }
    await closeData();
    return this.finish(model, run.lastCheckpoint);
  }

  /**
   * Every rank at the same point (a rank that could not read rank 0's checkpoint would silently
   * train from elsewhere), then rank 0's weights everywhere and data-parallel steps from here on.
   */
  private async joinRanks(model: Model, group: ProcessGroup): Promise<void> {
    const here = [this.state.step, this.position.epoch, this.position.batch];
    const root = await group.fromRoot(here);
    if (root.some((v, i) => v !== here[i]))
      throw new Error(
        `rank ${group.rank} is at step ${here[0]} but rank 0 resumed at step ${root[0]}: every rank must read the ` +
          `same run folder (on several machines, a shared filesystem)`,
      );
    await model.joinProcessGroup(group, { syncBatchNorm: this.config.syncBatchNorm });
    this.log(
      `distributed: ${group.worldSize} ranks (gloo), global batch ${this.config.batchSize}` +
        (this.config.syncBatchNorm ? ', SyncBatchNorm' : ''),
    );
  }

  /** The training batches, from the saved position on. */
  private trainLoader(data: TrainData, sampler: Sampler, memory: MemoryCache, batchSize: number): Loader {
    const c = this.config;
    return new Loader(data.train, {
      ...data.face,
      batchSize,
      train: true,
      augment: c.augment,
      seed: c.seed,
      sampler,
      start: this.position,
      epochs: c.epochs,
      concurrency: c.workers,
      memoryCache: memory,
      issues: this.issues,
    });
  }

  /** The last step is done: model.safetensors, the data problems, report.html. */
  private async finish(model: Model, checkpoint: string | undefined): Promise<FitResult> {
    if (!this.writer) return { status: 'complete', state: this.state, runDir: this.run.dir };
    fault('final-save', this.state.step);
    await model.save(this.run.modelFile, { trained_steps: String(this.state.step) });
    fsyncPath(this.run.modelFile);
    fsyncPath(this.run.dir);
    // Only now, with model.safetensors durable, is the run recorded complete (the last checkpoint said not done:
    // a resume after a failed final save redoes it).
    checkpoint = await this.checkpoint(model, true, false);
    if (this.issues.count()) this.log(`data problems (skipped):\n${this.issues.summary()}`);
    const report = await this.report();
    const { modelFile, dir } = this.run;
    return { status: 'complete', state: this.state, model: modelFile, report, checkpoint, runDir: dir };
  }

  /** Resumes or starts the run folder afresh; the result when a resumed run is already complete. */
  private async start(model: Model, stepsPerEpoch: number): Promise<FitResult | undefined> {
    const resumed = this.resume ? await this.restore(model) : undefined;
    if (resumed?.done && fs.existsSync(this.run.modelFile)) {
      this.state.epoch = Math.ceil(resumed.step / stepsPerEpoch);
      this.log(`resume: the run in ${this.run.dir} is already complete (step ${resumed.step}); nothing to do`);
      const report = fs.existsSync(this.run.reportFile) ? this.run.reportFile : await this.report();
      return { status: 'already-complete', state: this.state, model: this.run.modelFile, report, runDir: this.run.dir };
    }
    if (!resumed && this.writer) {
      removeStaleTemporaries(this.run.checkpoints);
      for (const { file } of listCheckpoints(this.run.checkpoints)) fs.rmSync(file);
      fs.rmSync(path.join(this.run.checkpoints, BEST), { force: true });
      this.run.writeConfig(this.config);
      this.run.resetMetrics([]);
    }
    this.fitStart = performance.now();
    return undefined;
  }

  /** One optimizer step, then metrics, epoch end and checkpoint; the result when the signal stopped the run. */
  private async step(run: Run, signal?: AbortSignal): Promise<FitResult | undefined> {
    const { stepsPerEpoch, totalSteps } = this.state;
    const epoch = Math.floor(this.state.step / stepsPerEpoch);
    const lr = lrAt(run.spec, this.state.step, this.plateau);
    const local = await this.accumulate(run, lr);
    // Decided once for all ranks: one that stopped alone would leave the others waiting.
    const { sums: r, stop } = run.group
      ? await reduceOverRanks(run.group, local, signal?.aborted === true)
      : { sums: local, stop: signal?.aborted === true };
    if (!Number.isFinite(r.loss)) {
      // The weights are already updated with it: never checkpoint this state.
      const last = run.lastCheckpoint ?? 'none written yet';
      throw new Error(
        `step ${this.state.step + 1}: the loss is ${r.loss} (training diverged, lr ${lr}); stopped without saving. ` +
          `Last good checkpoint: ${last}. Start again with a lower --lr`,
      );
    }
    this.state.step++;
    this.position = run.loader.position;
    const top1 = r.top1 / r.images;
    Object.assign(this.state, { epoch: epoch + 1, lr, loss: r.loss, top1, seconds: this.seconds });
    const top5 = r.top5 / r.images;
    const { loss, images, skipped, distillLoss } = r;
    this.addToSums(r);
    const now = performance.now();
    const window = this.windowMeans(run, now);
    const event: StepEvent = { epoch: epoch + 1, step: this.state.step, lr, loss, top1, top5, images, skipped, window };
    if (distillLoss !== undefined) event.distillLoss = distillLoss;
    this.emit('step', event);
    if (this.state.step % this.config.logEvery === 0) this.logWindow(epoch + 1, lr, window, run, now);
    const last = this.state.step === totalSteps;
    const epochEnd = this.state.step % stepsPerEpoch === 0 || last;
    const improved = epochEnd ? await this.endEpoch(run, epoch + 1, lr, now, last) : false;
    if (this.checkpointDue(epochEnd, last) || improved) {
      run.lastCheckpoint = await this.checkpoint(run.model, false, improved);
      run.lastCheckpointStep = this.state.step;
    }
    if (!stop || last) return undefined;
    if (run.lastCheckpointStep !== this.state.step) run.lastCheckpoint = await this.checkpoint(run.model, false, false);
    return { status: 'stopped', state: this.state, checkpoint: run.lastCheckpoint, runDir: this.run.dir };
  }

  /** `accumulate` batches forward and backward; the update is applied with the last. */
  private async accumulate(run: Run, lr: number): Promise<StepSums> {
    const c = this.config;
    const size = run.data.face.size;
    const sums: StepSums = { loss: 0, top1: 0, top5: 0, images: 0, skipped: false };
    for (let k = 0; k < c.accumulate; k++) {
      const next = await run.batches.next();
      if (next.done) throw new Error('the data ran out before the last step (every image of an epoch unusable?)');
      const b = next.value;
      try {
        // With a transfer set its unlabelled images follow the labelled ones (label -1).
        const j = run.transfer
          ? await run.transfer.join(b)
          : { pixels: b.data.subarray(0, b.n * size * size * 3), labels: b.labels, indices: b.indices, n: b.n };
        const shape = [j.n, size, size, 3];
        const r = await run.model.trainStep(j.pixels, shape, j.labels, {
          lr,
          apply: k === c.accumulate - 1,
          lossDivisor: c.accumulate,
          labelSmoothing: c.labelSmoothing,
          backboneLrScale: run.backboneLrScale,
          ...(run.teacher ? { distill: await run.teacher.targets(j.pixels, shape, j.indices) } : {}),
        });
        if (r.distillLoss !== undefined) sums.distillLoss = (sums.distillLoss ?? 0) + r.distillLoss / c.accumulate;
        sums.loss += r.loss / c.accumulate;
        sums.top1 += r.top1;
        sums.top5 += r.top5;
        // The labelled images: the accuracy's denominator.
        sums.images += b.n;
        sums.skipped = r.skipped;
      } finally {
        run.loader.release(b);
      }
    }
    return sums;
  }

  /** The log window's and the epoch's running sums (new objects: a checkpoint may hold the old ones). */
  private addToSums(r: StepSums): void {
    const { window: w, epoch: ep } = this.sums;
    this.sums = {
      window: { loss: w.loss + r.loss, top1: w.top1 + r.top1, images: w.images + r.images, steps: w.steps + 1 },
      epoch: { loss: ep.loss + r.loss, steps: ep.steps + 1, images: ep.images + r.images },
    };
  }

  /** The log window's means so far, rounded as metrics.jsonl keeps them (so the progress line agrees). */
  private windowMeans(run: Run, now: number): WindowMeans {
    const win = this.sums.window;
    return {
      loss: round(win.loss / win.steps, 5),
      top1: round(win.top1 / win.images, 4),
      imagesPerS: round(win.images / ((now - run.windowStart) / 1000), 1),
      steps: win.steps,
    };
  }

  /** A "train" record of the log window's means, then a new window. */
  private logWindow(epoch: number, lr: number, w: WindowMeans, run: Run, now: number): void {
    this.record({
      type: 'train',
      epoch,
      step: this.state.step,
      seconds: round(this.seconds, 2),
      lr,
      loss: w.loss,
      top1: w.top1,
      images_per_s: w.imagesPerS,
    } satisfies TrainRecord);
    this.sums.window = { loss: 0, top1: 0, images: 0, steps: 0 };
    run.windowStart = now;
  }

  /** The 'epoch' event and, when due, validation; true when held-out top-1 improved. */
  private async endEpoch(run: Run, epoch: number, lr: number, now: number, last: boolean): Promise<boolean> {
    const ep = this.sums.epoch;
    this.emit('epoch', { epoch, loss: ep.loss / ep.steps, seconds: this.seconds } satisfies EpochEvent);
    const rate = ep.images / ((now - run.epochStart) / 1000);
    let improved = false;
    if (run.data.val && (epoch % this.config.evalEvery === 0 || last)) {
      // Rank 0 validates (the others wait at the next step); a plateau schedule needs its outcome everywhere.
      if (this.writer)
        improved = await this.validate(
          run.model,
          run.data,
          run.memory,
          epoch,
          lr,
          ep.loss / Math.max(1, ep.steps),
          rate,
        );
      if (run.group && this.config.schedule === 'plateau') {
        const [factor, best, bad] = await run.group.fromRoot([
          this.plateau.factor,
          this.plateau.best,
          this.plateau.bad,
        ]);
        this.plateau = { factor, best, bad };
      }
    }
    this.sums.epoch = { loss: 0, steps: 0, images: 0 };
    // Evaluation time is not training throughput: the log window (which may span epochs, its images
    // still counted) is shifted by it rather than restarted, which would inflate images/s.
    const end = performance.now();
    run.windowStart += end - now;
    run.epochStart = end;
    return improved;
  }

  /** The checkpoint policy: the last step, every N steps, every N epochs. */
  private checkpointDue(epochEnd: boolean, last: boolean): boolean {
    const c = this.config;
    const step = this.state.step;
    const byStep = c.checkpointEverySteps !== undefined && step % c.checkpointEverySteps === 0;
    const byEpoch = epochEnd && (Math.ceil(step / this.state.stepsPerEpoch) % c.checkpointEvery === 0 || last);
    return last || byStep || byEpoch;
  }

  /** The run's report.html; a failure to draw it is logged, not fatal: the model is saved already. */
  private async report(): Promise<string | undefined> {
    try {
      return await this.run.writeReport(this.metrics, this.config, `vgg2-torch training: ${this.config.name}`);
    } catch (e) {
      this.log(`warning: ${this.run.reportFile} not written: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Validation after epoch e; true when held-out top-1 improved on the best so far. */
  private async validate(
    model: Model,
    data: TrainData,
    memory: MemoryCache,
    e: number,
    lr: number,
    trainLoss: number,
    imagesPerS: number,
  ): Promise<boolean> {
    const c = this.config;
    const acc = await heldOutAccuracy(
      model,
      data.val!,
      data.face,
      c.evalBatchSize ?? Math.max(c.batchSize, 32),
      this.issues,
      { concurrency: c.workers, memoryCache: memory },
    );
    const rec: EvalRecord = {
      type: 'eval',
      epoch: e,
      step: this.state.step,
      seconds: round(this.seconds, 2),
      lr,
      loss: round(trainLoss, 5),
      images_per_s: round(imagesPerS, 1),
      val_top1: round(acc.top1, 4),
      val_top5: round(acc.top5, 4),
      val_images: acc.images,
      ...(acc.verification
        ? { val_verify_auc: round(acc.verification.auc, 4), val_verify_eer: round(acc.verification.eer, 4) }
        : {}),
    };
    this.record(rec);
    Object.assign(this.state, { valTop1: acc.top1, valTop5: acc.top5 });
    this.emit('eval', evalEvent(rec));
    if (c.schedule === 'plateau')
      this.plateau = plateauUpdate(this.schedule(this.state.stepsPerEpoch), this.plateau, 1 - acc.top1);
    const improved = !this.best || acc.top1 > this.best.val_top1;
    if (improved) this.best = { val_top1: acc.top1, step: this.state.step };
    return improved;
  }
}

/** One step's numbers summed over the ranks (loss weighted by images), and whether any rank was asked to stop. */
async function reduceOverRanks(
  group: ProcessGroup,
  s: StepSums,
  stop: boolean,
): Promise<{ sums: StepSums; stop: boolean }> {
  const [loss, top1, top5, images, skipped, stops] = await group.sum([
    s.loss * s.images,
    s.top1,
    s.top5,
    s.images,
    s.skipped ? 1 : 0,
    stop ? 1 : 0,
  ]);
  const sums: StepSums = { loss: loss / images, top1, top5, images, skipped: skipped > 0 };
  // Distilling: this rank's embedding term (every rank has one; the loss above is the mean total).
  if (s.distillLoss !== undefined) sums.distillLoss = s.distillLoss;
  return { sums, stop: stops > 0 };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
