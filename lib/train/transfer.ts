/**
 * Distillation's transfer set (Hinton et al.): unlabelled faces the student sees next to each
 * labelled batch, with the teacher's embedding as their only target. It is how a teacher's skill
 * reaches faces the labelled set does not have — a small labelled set (ORL's 40 people) cannot
 * carry what a teacher learnt on thousands of others. A folder of face images (flat or in
 * sub-folders, whose names are ignored) or a prepared cache (its labels ignored); the native step
 * trains these label -1 rows on the distillation terms only.
 *
 * Its batches follow the step count (batch `step × accumulate + k` of an endless shuffled stream),
 * so a resumed run sees the same ones without a position of its own in the checkpoint.
 */
import { openDataset } from '../data/dataset';
import { Loader } from '../data/loader';
import type { Issues } from '../data/issues';
import type { MemoryCache } from '../data/memory-cache';
import { ShuffleSampler } from '../data/sampler';
import type { FaceOptions } from '../data/transform';
import type { Batch, Dataset } from '../data/types';
import { shardSampler } from '../dist/sampler';
import { ConfigError, type TrainConfig } from './config';

/** A labelled batch with the transfer images after it: what one training step gets. */
export interface JoinedBatch {
  pixels: Uint8Array;
  labels: Int32Array;
  /** Dataset indices for the teacher's cache; transfer images are offset past the labelled set's. */
  indices: number[];
  n: number;
}

/** The label of a transfer image (native `kUnlabelled`): no classification loss, no hits. */
export const UNLABELLED = -1;

/** Seeds the transfer stream apart from the labelled one (the same seed would shuffle alike). */
const STREAM = 0x7a5f;

export class TransferSet {
  private loader?: Loader;
  private batches?: AsyncIterator<Batch>;
  private joined = Buffer.alloc(0);
  private labels = new Int32Array(0);
  /** The labelled set's size: transfer images' indices start there (the teacher's cache keys). */
  private offset = 0;
  private readonly rowBytes: number;

  private constructor(
    private readonly c: TrainConfig,
    private readonly face: Required<FaceOptions>,
    private readonly dataset: Dataset,
    /** Images per step over all ranks. */
    readonly batchSize: number,
  ) {
    this.rowBytes = face.size * face.size * 3;
  }

  /** Opens c.transferData (before anything is written: a bad one is a ConfigError). */
  static open(c: TrainConfig, face: Required<FaceOptions>, issues: Issues, log: (m: string) => void): TransferSet {
    const file = c.transferData!;
    const batchSize = c.transferBatchSize ?? c.batchSize;
    let dataset: Dataset;
    try {
      dataset = openDataset({ data: file, issues, unlabelled: true });
    } catch (e) {
      throw new ConfigError(`transferData ${file}: ${(e as Error).message}`);
    }
    if (dataset.size < batchSize)
      throw new ConfigError(
        `transferData ${file}: ${dataset.size} images, fewer than one transfer batch of ${batchSize} (--transfer-batch-size)`,
      );
    log(
      `transfer set: ${dataset.description} (labels ignored); ${batchSize} of its images join every batch, ` +
        "with the teacher's embedding as their only target",
    );
    return new TransferSet(c, face, dataset, batchSize);
  }

  /**
   * Starts the stream at micro-batch `start` (step × accumulate) for a run whose labelled set has
   * `offset` images; `rank`/`worldSize` shard each transfer batch like the labelled ones.
   */
  begin(opts: {
    start: number;
    offset: number;
    labelledBatch: number;
    memory: MemoryCache;
    issues: Issues;
    rank: number;
    worldSize: number;
  }): void {
    const c = this.c;
    const inner = new ShuffleSampler(this.dataset.size, this.batchSize, { seed: c.seed ^ STREAM });
    const perEpoch = inner.batchesPerEpoch;
    const perRank = this.batchSize / opts.worldSize;
    this.loader = new Loader(this.dataset, {
      ...this.face,
      batchSize: perRank,
      train: true,
      augment: c.augment,
      seed: c.seed ^ STREAM,
      sampler: shardSampler(inner, opts.rank, opts.worldSize),
      start: { epoch: Math.floor(opts.start / perEpoch), batch: opts.start % perEpoch },
      epochs: Infinity,
      concurrency: c.workers,
      memoryCache: opts.memory,
      issues: opts.issues,
    });
    this.batches = this.loader[Symbol.asyncIterator]();
    this.offset = opts.offset;
    // One buffer for the run's joined batches: nothing grows per step.
    const rows = opts.labelledBatch + perRank;
    this.joined = Buffer.alloc(rows * this.rowBytes);
    this.labels = new Int32Array(rows);
  }

  /** The labelled batch `b` with the next transfer batch after it (valid until the next call). */
  async join(b: Batch): Promise<JoinedBatch> {
    if (!this.loader || !this.batches) throw new Error('TransferSet.join before begin');
    const next = await this.batches.next();
    if (next.done) throw new Error('the transfer set ran out (every image unusable?)');
    const t = next.value;
    try {
      const n = b.n + t.n;
      b.data.copy(this.joined, 0, 0, b.n * this.rowBytes);
      t.data.copy(this.joined, b.n * this.rowBytes, 0, t.n * this.rowBytes);
      this.labels.set(b.labels.subarray(0, b.n));
      this.labels.fill(UNLABELLED, b.n, n);
      return {
        pixels: this.joined.subarray(0, n * this.rowBytes),
        labels: this.labels.subarray(0, n),
        indices: [...b.indices, ...t.indices.map((i) => i + this.offset)],
        n,
      };
    } finally {
      this.loader.release(t);
    }
  }

  /** Resolves once its loader's batches in flight have finished. */
  async close(): Promise<void> {
    await this.loader?.close();
  }
}
