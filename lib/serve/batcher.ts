/**
 * Request batching on the way to the model. Concurrent requests' images go through one forward
 * pass together (up to `maxBatch`, waiting at most `windowMs` for more). Decoding and the forward
 * pass take turns instead of overlapping: on a small CPU, sharp's threads preempting LibTorch's
 * OpenMP team slowed each forward by 60% (2 cores, ResNet-50, 112 px), far more than the decoding
 * itself costs. While a forward runs, new requests wait undecoded; when it ends, the waiting
 * images are decoded (in parallel) and form the next batch.
 * Gallery searches belong to the batch's turn too: the batch's queries are searched together (one
 * matrix product) before the next forward starts, instead of one search per request running on
 * the compute threads beside it.
 * The gap between two forward passes holds the batch's search and the answers' HTTP work; the next
 * batch decodes beside them (native decoding takes ~3 ms for 16 faces), so the model is in a
 * forward pass ~95% of the time under load instead of ~92% (docs/serve.md).
 * The queue is bounded: past `maxQueue` images a request is refused at once (QueueFullError,
 * answered 503 + Retry-After) instead of the queue growing without limit.
 */
import type { Model } from '../model';
import { embedBatch, resolveOutput, type EmbeddingOutput } from '../eval/embed';
import { l2NormalizeRows } from '../eval/vectors';
import type { SearchResult, ServedGallery } from './gallery-port';

export interface BatcherOptions {
  /** Longest wait for more images before a partial batch runs (ms). Default 5. */
  windowMs?: number;
  /** Images per forward pass. Default 16. */
  maxBatch?: number;
  /** Images allowed to wait; more are refused. Default 256. */
  maxQueue?: number;
  output?: EmbeddingOutput;
  flip?: boolean;
  /** The gallery `search()` looks in. */
  gallery?: ServedGallery;
}

export interface SearchOptions {
  k: number;
  threshold?: number;
}

export class QueueFullError extends Error {
  constructor(readonly depth: number) {
    super(`the server is busy: ${depth} images are waiting for the model; retry shortly`);
  }
}

/** Produces one image's size×size×3 RGB pixels (a request's decode step). */
export type PixelSource = () => Promise<Uint8Array>;

interface Job {
  source: PixelSource;
  pixels?: Uint8Array;
  /** Searched in the gallery once embedded. */
  search?: SearchOptions;
  resolve: (v: { vector: Float32Array; found?: SearchResult }) => void;
  reject: (e: Error) => void;
}

export class Batcher {
  readonly windowMs: number;
  readonly maxBatch: number;
  readonly maxQueue: number;
  private readonly output: EmbeddingOutput;
  private readonly flip: boolean;
  private readonly gallery?: ServedGallery;
  private readonly stride: number;
  private readonly buffer: Uint8Array;
  private readonly scratch?: Uint8Array;
  /** Not decoded yet. */
  private waiting: Job[] = [];
  /** Decoded, waiting for a forward pass. */
  private ready: Job[] = [];
  private decoding = 0;
  /** A batch is in its forward pass or its search; the next forward waits for both. */
  private running = false;
  /** The running batch is past its forward pass: the next batch may decode beside its search. */
  private searching = false;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private idle?: () => void;
  /** Forward passes run and images embedded, for /metrics. */
  batches = 0;
  images = 0;
  /**
   * Seconds spent in forward passes and in the batches' gallery searches (as the event loop saw
   * them), for /metrics: against the wall time they say how busy the model is, and against a bare
   * forward pass how much the serving work around it slows it down.
   */
  forwardSeconds = 0;
  searchSeconds = 0;

  constructor(
    private readonly model: Model,
    readonly size: number,
    o: BatcherOptions = {},
  ) {
    this.windowMs = o.windowMs ?? 5;
    this.maxBatch = o.maxBatch ?? 16;
    this.maxQueue = o.maxQueue ?? 256;
    for (const [k, v] of Object.entries({ maxBatch: this.maxBatch, maxQueue: this.maxQueue }))
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
    if (!(this.windowMs >= 0)) throw new RangeError(`windowMs must be >= 0, got ${this.windowMs}`);
    this.output = resolveOutput(model, o.output);
    this.flip = o.flip ?? false;
    this.gallery = o.gallery;
    this.stride = size * size * 3;
    this.buffer = new Uint8Array(this.maxBatch * this.stride);
    this.scratch = this.flip ? new Uint8Array(this.maxBatch * this.stride) : undefined;
  }

  /** Images waiting for a forward pass (decoded or not). */
  get depth(): number {
    return this.waiting.length + this.decoding + this.ready.length;
  }

  /** The unit embedding of one image, decoded by `source` when the model is between passes. */
  embed(source: PixelSource): Promise<Float32Array> {
    return this.embedAll([source]).then((v) => v[0]);
  }

  /** Several images of one request, queued together (all or none refused). */
  async embedAll(sources: PixelSource[]): Promise<Float32Array[]> {
    return (await this.queue(sources)).map((r) => r.vector);
  }

  /** The gallery's best matches for one image, searched with the rest of its batch. */
  async search(source: PixelSource, search: SearchOptions): Promise<SearchResult> {
    if (!this.gallery) throw new Error('this batcher has no gallery to search');
    const [r] = await this.queue([source], search);
    return r.found!;
  }

  private queue(sources: PixelSource[], search?: SearchOptions) {
    if (this.closed) return Promise.reject(new Error('the server is shutting down'));
    if (this.depth + sources.length > this.maxQueue) return Promise.reject(new QueueFullError(this.depth));
    const all = sources.map(
      (source) =>
        new Promise<{ vector: Float32Array; found?: SearchResult }>((resolve, reject) =>
          this.waiting.push({ source, search, resolve, reject }),
        ),
    );
    this.pump();
    return Promise.all(all);
  }

  /** Decodes what waits (model idle), then runs a batch when it is full or nothing more is coming. */
  private pump(): void {
    if (this.running && !this.searching) return;
    while (this.waiting.length > 0 && this.ready.length + this.decoding < this.maxBatch) {
      const job = this.waiting.shift()!;
      this.decoding++;
      job
        .source()
        .then((px) => {
          if (px.length !== this.stride) throw new Error(`expected ${this.stride} bytes of pixels, got ${px.length}`);
          job.pixels = px;
          this.ready.push(job);
        })
        .catch((e: Error) => job.reject(e))
        .finally(() => {
          this.decoding--;
          this.pump();
        });
    }
    if (this.running) return;
    if (this.ready.length >= this.maxBatch || (this.decoding === 0 && this.ready.length > 0)) {
      // Full, or every admitted image decoded: run now unless more may arrive within the window.
      if (this.ready.length >= this.maxBatch || this.waiting.length > 0 || this.windowMs === 0) this.run();
      else if (!this.timer) this.timer = setTimeout(() => this.run(), this.windowMs);
    }
    if (this.depth === 0) this.idle?.();
  }

  private run(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.ready.length === 0) return;
    this.running = true;
    const jobs = this.ready.splice(0, this.maxBatch);
    void this.forward(jobs).finally(() => {
      this.running = false;
      this.searching = false;
      this.pump();
    });
  }

  private async forward(jobs: Job[]): Promise<void> {
    try {
      jobs.forEach((j, k) => this.buffer.set(j.pixels!, k * this.stride));
      const b = { data: this.buffer, n: jobs.length, size: this.size };
      const t0 = performance.now();
      const { vectors } = await embedBatch(this.model, b, this.output, this.flip, this.scratch);
      this.forwardSeconds += (performance.now() - t0) / 1000;
      const dim = vectors.length / jobs.length;
      l2NormalizeRows(vectors, dim);
      const unit = jobs.map((_, k) => vectors.slice(k * dim, (k + 1) * dim));
      this.searching = true;
      this.pump();
      const t1 = performance.now();
      const found = await this.searchBatch(jobs, unit);
      this.searchSeconds += (performance.now() - t1) / 1000;
      jobs.forEach((j, k) => {
        const f = found[k];
        if (f instanceof Error) j.reject(f);
        else j.resolve({ vector: unit[k], found: f });
      });
      this.batches++;
      this.images += jobs.length;
    } catch (e) {
      for (const j of jobs) j.reject(e as Error);
    }
  }

  /** One gallery search per distinct (k, threshold) among the batch's search jobs; a failed one fails its jobs only. */
  private async searchBatch(jobs: Job[], unit: Float32Array[]): Promise<(SearchResult | Error | undefined)[]> {
    const found: (SearchResult | Error | undefined)[] = new Array(jobs.length);
    const groups = new Map<string, number[]>();
    jobs.forEach((j, k) => {
      if (!j.search) return;
      const key = `${j.search.k}/${j.search.threshold}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(k);
    });
    for (const members of groups.values()) {
      try {
        const results = await this.gallery!.search(
          members.map((k) => unit[k]),
          jobs[members[0]].search!,
        );
        members.forEach((k, i) => (found[k] = results[i]));
      } catch (e) {
        members.forEach((k) => (found[k] = e as Error));
      }
    }
    return found;
  }

  /** Refuses new work and waits for what is queued. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.depth === 0 && !this.running) return;
    await new Promise<void>((r) => (this.idle = r));
  }
}
