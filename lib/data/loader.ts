/**
 * The batch loader: sampler positions → parallel decode/augment (native threads for JPEGs and cache
 * records — see native-renderer.ts — and sharp's thread pool, bounded concurrency, for the rest) →
 * a bounded queue of batches in a fixed pool of reused buffers. A buffer returns to the pool only
 * through release(), so it is never overwritten while a training step uses it.
 */
import * as os from 'os';
import { augmentParams, IDENTITY_AUGMENT, type AugmentOptions } from './augment';
import { CacheDataset } from './cache';
import { Subset } from './dataset';
import { DataError, Issues } from './issues';
import type { MemoryCache } from './memory-cache';
import { nativeDecoder } from './decode-plans';
import { NativeRenderer, type SlotResult } from './native-renderer';
import { ShuffleSampler, type Position, type Sampler } from './sampler';
import { decodeBase, loadBase, renderInto, type FaceOptions } from './transform';
import type { BaseImage, Batch, Dataset } from './types';

export interface LoaderOptions extends FaceOptions {
  batchSize: number;
  /** Training: random crop/flip/gray per augment; evaluation: centre crop, no augmentation. */
  train: boolean;
  augment?: AugmentOptions;
  seed?: number;
  /** Default: shuffled epochs (train) or dataset order with a final partial batch (eval). */
  sampler?: Sampler;
  /** Start here (a checkpoint's `loader.position`); default epoch 0, batch 0. */
  start?: Position;
  /** Stop after this many epochs (default 1; Infinity for an endless stream). */
  epochs?: number;
  /**
   * 'native': JPEGs and cache records through the addon (TurboJPEG, native threads), the rest
   * through sharp; 'sharp': everything through sharp. Default: native when the addon is built
   * with TurboJPEG.
   */
  decoder?: 'native' | 'sharp';
  /** Native decoding threads (default: every core, shared with LibTorch's threads on purpose). */
  decodeThreads?: number;
  /** Samples decoded by sharp at once (default 2 × CPU cores; sharp runs them on libuv's pool). */
  concurrency?: number;
  /**
   * Keep decoded base images in memory across epochs (native decoder only; see memory-cache.ts).
   * Share one cache between the loaders of a run: it is keyed by dataset and sample.
   */
  memoryCache?: MemoryCache;
  /** Batches decoded ahead of the consumer (default 2). */
  prefetch?: number;
  /** Batches the consumer may hold unreleased at once (default 1). */
  held?: number;
  issues?: Issues;
}

/** Resolves the stage-1 image of sample i, from a cache when the dataset is (a subset of) one. */
export function baseSource(ds: Dataset, face: FaceOptions, issues: Issues): (i: number) => Promise<BaseImage> {
  if (ds instanceof CacheDataset) {
    ds.checkSettings(face);
    return (i) => ds.loadBase(i);
  }
  if (ds instanceof Subset && ds.parent instanceof CacheDataset) {
    const inner = baseSource(ds.parent, face, issues);
    return (i) => inner(ds.parentIndex(i));
  }
  return (i) => loadBase(ds.source(i), face, issues);
}

class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiting.push(r));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}

export class Loader implements AsyncIterable<Batch> {
  readonly sampler: Sampler;
  readonly issues: Issues;
  private readonly base: (i: number) => Promise<BaseImage>;
  private readonly native?: NativeRenderer;
  private readonly sem: Semaphore;
  private readonly free: Buffer[] = [];
  private readonly held = new Set<Buffer>();
  private readonly pending: { pos: Position; batch: Promise<Batch | undefined> }[] = [];
  private nextToStart: Position;
  private nextToYield: Position;
  private readonly epochs: number;
  private readonly prefetch: number;
  private closed = false;

  constructor(
    readonly dataset: Dataset,
    private readonly opts: LoaderOptions,
  ) {
    this.issues = opts.issues ?? new Issues();
    this.base = baseSource(dataset, opts, this.issues);
    if (opts.decoder !== 'sharp') {
      const binding = nativeDecoder();
      if (binding)
        this.native = new NativeRenderer(dataset, opts, this.issues, binding, {
          threads: opts.decodeThreads,
          memory: opts.memoryCache,
        });
      else if (opts.decoder === 'native')
        throw new Error(
          `decoder 'native': the addon is not built with TurboJPEG (apt-get install libturbojpeg0-dev, then npm run build:native)`,
        );
    }
    this.sampler =
      opts.sampler ?? new ShuffleSampler(dataset.size, opts.batchSize, { seed: opts.seed, shuffle: opts.train });
    this.sem = new Semaphore(opts.concurrency ?? 2 * os.availableParallelism());
    this.prefetch = Math.max(1, opts.prefetch ?? 2);
    const buffers = this.prefetch + Math.max(1, opts.held ?? 1);
    const bytes = opts.batchSize * opts.size * opts.size * 3;
    for (let k = 0; k < buffers; k++) this.free.push(Buffer.alloc(bytes));
    this.epochs = opts.epochs ?? 1;
    this.nextToStart = this.nextToYield = opts.start ?? { epoch: 0, batch: 0 };
  }

  /** Position of the next batch to be yielded: save it in a checkpoint, pass it as `start` to resume. */
  get position(): Position {
    return { ...this.nextToYield };
  }

  /** Give a yielded batch's buffer back for reuse; call once the step that used it has settled. */
  release(batch: Batch): void {
    const buf = batch.data;
    if (!this.held.delete(buf)) return; // double release, or not ours: nothing to recycle
    this.free.push(buf);
    this.pump();
  }

  /**
   * Stops decoding ahead; resolves once the batches in flight have finished into their buffers, so
   * that the caller may close the dataset or delete its files (nothing reads them after).
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.pending.map((p) => p.batch.catch(() => undefined)));
  }

  private advance(p: Position): Position {
    return p.batch + 1 < this.sampler.batchesPerEpoch
      ? { epoch: p.epoch, batch: p.batch + 1 }
      : { epoch: p.epoch + 1, batch: 0 };
  }

  private pump(): void {
    while (
      !this.closed &&
      this.free.length > 0 &&
      this.pending.length < this.prefetch &&
      this.nextToStart.epoch < this.epochs
    ) {
      const pos = this.nextToStart;
      this.nextToStart = this.advance(pos);
      const buf = this.free.pop()!;
      const batch = this.fill(buf, pos);
      // Errors surface when the consumer reaches this batch; avoid an unhandled rejection meanwhile.
      batch.catch(() => undefined);
      this.pending.push({ pos, batch });
    }
  }

  /** Which decoder fills this loader's batches. */
  get decoder(): 'native' | 'sharp' {
    return this.native ? 'native' : 'sharp';
  }

  /** A sample that can't be used: counted and skipped, or (strict, or not a data problem) an error. */
  private skip(e: unknown): false {
    if (!(e instanceof DataError) || this.issues.strict) throw e;
    this.issues.add(e.kind, e.detail);
    return false;
  }

  private async fill(data: Buffer, pos: Position): Promise<Batch | undefined> {
    const { size, train, augment = {}, seed = 0 } = this.opts;
    const indices = this.sampler.batch(pos.epoch, pos.batch);
    const stride = size * size * 3;
    const params = Array.from(indices, (idx) =>
      train ? augmentParams(augment, seed, pos.epoch, idx) : IDENTITY_AUGMENT,
    );
    const first: SlotResult[] = this.native
      ? await this.native.render(indices, params, data)
      : Array.from(indices, () => ({}));
    const ok = await Promise.all(
      first.map((r, slot) => {
        if (r === true) return true;
        if (r instanceof Error) return this.skip(r);
        return this.sem.run(async () => {
          try {
            const idx = indices[slot];
            const base = r.buffer
              ? await decodeBase(r.buffer, this.dataset.source(idx), this.opts, this.issues)
              : await this.base(idx);
            await renderInto(base, size, params[slot], data, slot * stride);
            return true;
          } catch (e) {
            return this.skip(e);
          }
        });
      }),
    );
    // Close the gaps left by unusable samples (memcpy), so that the batch is n dense images.
    const kept: number[] = [];
    const labels: number[] = [];
    ok.forEach((good, slot) => {
      if (!good) return;
      if (slot !== kept.length) data.copy(data, kept.length * stride, slot * stride, (slot + 1) * stride);
      kept.push(indices[slot]);
      labels.push(this.dataset.labels[indices[slot]]);
    });
    if (kept.length === 0) {
      this.free.push(data);
      return undefined;
    }
    return { data, labels: Int32Array.from(labels), n: kept.length, size, indices: kept };
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Batch> {
    for (;;) {
      this.pump();
      const head = this.pending.shift();
      if (!head) {
        if (this.closed || this.nextToStart.epoch >= this.epochs) return;
        throw new Error(
          `all batch buffers are held by the consumer: call loader.release(batch) after each step (or raise 'held')`,
        );
      }
      const batch = await head.batch;
      this.nextToYield = this.advance(head.pos);
      if (!batch) continue;
      this.held.add(batch.data);
      yield batch;
    }
  }
}
