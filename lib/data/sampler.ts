/** Batch samplers: deterministic for a seed, with random access to any (epoch, batch) for resuming. */
import { Rng } from './rng';

/** Where an epoch-based stream of batches stands: batch `batch` of epoch `epoch` is next. */
export interface Position {
  epoch: number;
  batch: number;
}

export interface Sampler {
  readonly batchesPerEpoch: number;
  /** Dataset indices of one batch; the same for the same (seed, epoch, batch) every time. */
  batch(epoch: number, batch: number): Int32Array;
}

export interface ShuffleOptions {
  seed?: number;
  /** Shuffle every epoch (default true); false = dataset order, for evaluation. */
  shuffle?: boolean;
  /** Drop the last incomplete batch (default: true when shuffling). */
  dropLast?: boolean;
}

/** Plain epochs: a fresh permutation per epoch, cut into batches. */
export class ShuffleSampler implements Sampler {
  readonly batchesPerEpoch: number;
  private readonly seed: number;
  private readonly shuffle: boolean;
  private cached?: { epoch: number; perm: Int32Array };

  constructor(
    readonly size: number,
    readonly batchSize: number,
    opts: ShuffleOptions = {},
  ) {
    if (batchSize < 1) throw new Error('batch size must be ≥ 1');
    this.seed = opts.seed ?? 0;
    this.shuffle = opts.shuffle ?? true;
    const dropLast = opts.dropLast ?? this.shuffle;
    this.batchesPerEpoch = dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
    if (this.batchesPerEpoch === 0)
      throw new Error(`dataset of ${size} images is smaller than one batch of ${batchSize}`);
  }

  private perm(epoch: number): Int32Array {
    if (this.cached?.epoch !== epoch) {
      const perm = new Int32Array(this.size);
      for (let i = 0; i < this.size; i++) perm[i] = i;
      if (this.shuffle) new Rng(this.seed, epoch, 0x5eed).shuffle(perm);
      this.cached = { epoch, perm };
    }
    return this.cached.perm;
  }

  batch(epoch: number, batch: number): Int32Array {
    const start = batch * this.batchSize;
    return this.perm(epoch).slice(start, Math.min(start + this.batchSize, this.size));
  }
}

export interface BalancedOptions {
  classesPerBatch: number;
  imagesPerClass: number;
  seed?: number;
}

/**
 * Class-balanced batches: each batch holds `classesPerBatch` distinct identities with
 * `imagesPerClass` images each (drawn without replacement, with replacement for smaller
 * classes). An epoch visits every identity once, in a per-epoch shuffled order.
 */
export class BalancedSampler implements Sampler {
  readonly batchesPerEpoch: number;
  readonly batchSize: number;
  private readonly seed: number;
  private readonly classStart: Int32Array;
  private readonly members: Int32Array;
  private readonly nonEmpty: Int32Array;
  private cached?: { epoch: number; order: Int32Array };

  constructor(
    labels: Int32Array,
    private readonly opts: BalancedOptions,
  ) {
    this.seed = opts.seed ?? 0;
    this.batchSize = opts.classesPerBatch * opts.imagesPerClass;
    // Counting sort of indices by label (CSR layout), compact for millions of images.
    let classes = 0;
    for (const l of labels) classes = Math.max(classes, l + 1);
    const counts = new Int32Array(classes + 1);
    for (const l of labels) counts[l + 1]++;
    for (let c = 0; c < classes; c++) counts[c + 1] += counts[c];
    this.classStart = counts;
    this.members = new Int32Array(labels.length);
    const fill = counts.slice(0, classes);
    labels.forEach((l, i) => (this.members[fill[l]++] = i));
    const nonEmpty: number[] = [];
    for (let c = 0; c < classes; c++) if (counts[c + 1] > counts[c]) nonEmpty.push(c);
    this.nonEmpty = Int32Array.from(nonEmpty);
    this.batchesPerEpoch = Math.floor(nonEmpty.length / opts.classesPerBatch);
    if (this.batchesPerEpoch === 0)
      throw new Error(`${nonEmpty.length} identities, fewer than ${opts.classesPerBatch} per batch`);
  }

  private order(epoch: number): Int32Array {
    if (this.cached?.epoch !== epoch)
      this.cached = { epoch, order: new Rng(this.seed, epoch, 0xc1a5).shuffle(this.nonEmpty.slice()) };
    return this.cached.order;
  }

  batch(epoch: number, batch: number): Int32Array {
    const { classesPerBatch: P, imagesPerClass: K } = this.opts;
    const out = new Int32Array(P * K);
    const order = this.order(epoch);
    for (let j = 0; j < P; j++) {
      const c = order[batch * P + j];
      const s = this.classStart[c];
      const n = this.classStart[c + 1] - s;
      const rng = new Rng(this.seed, epoch, batch, c);
      if (n >= K) {
        // Partial Fisher-Yates over the class's members: K distinct images.
        const pick = this.members.slice(s, s + n);
        for (let k = 0; k < K; k++) {
          const r = k + rng.int(n - k);
          const t = pick[k];
          pick[k] = pick[r];
          pick[r] = t;
          out[j * K + k] = pick[k];
        }
      } else {
        for (let k = 0; k < K; k++) out[j * K + k] = this.members[s + rng.int(n)];
      }
    }
    return out;
  }
}
