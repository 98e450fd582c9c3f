/**
 * Request batching on the way to the model: images queued by concurrent requests wait at most
 * `windowMs` (or until `maxBatch` are waiting) and go through one forward pass together. The
 * queue is bounded: past `maxQueue` waiting images a request is refused at once (QueueFullError,
 * answered 503 + Retry-After) instead of the queue growing without limit.
 */
import type { Model } from '../model';
import { embedBatch, resolveOutput, type EmbeddingOutput } from '../eval/embed';
import { l2NormalizeRows } from '../eval/vectors';

export interface BatcherOptions {
  /** Longest wait for more images before a partial batch runs (ms). Default 5. */
  windowMs?: number;
  /** Images per forward pass. Default 16. */
  maxBatch?: number;
  /** Images allowed to wait; more are refused. Default 256. */
  maxQueue?: number;
  output?: EmbeddingOutput;
  flip?: boolean;
}

export class QueueFullError extends Error {
  constructor(readonly depth: number) {
    super(`the server is busy: ${depth} images are waiting for the model; retry shortly`);
  }
}

interface Job {
  pixels: Uint8Array;
  resolve: (v: Float32Array) => void;
  reject: (e: Error) => void;
}

export class Batcher {
  readonly windowMs: number;
  readonly maxBatch: number;
  readonly maxQueue: number;
  private readonly output: EmbeddingOutput;
  private readonly flip: boolean;
  private readonly stride: number;
  private readonly buffer: Uint8Array;
  private readonly scratch?: Uint8Array;
  private queue: Job[] = [];
  private timer?: NodeJS.Timeout;
  private running = false;
  private closed = false;
  /** Forward passes run and images embedded, for /metrics. */
  batches = 0;
  images = 0;

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
    this.stride = size * size * 3;
    this.buffer = new Uint8Array(this.maxBatch * this.stride);
    this.scratch = this.flip ? new Uint8Array(this.maxBatch * this.stride) : undefined;
  }

  /** Images waiting (not yet in a forward pass). */
  get depth(): number {
    return this.queue.length;
  }

  /** The unit embedding of one size×size×3 RGB image. */
  embed(pixels: Uint8Array): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new Error('the server is shutting down'));
    if (pixels.length !== this.stride)
      return Promise.reject(new Error(`expected ${this.stride} bytes of pixels, got ${pixels.length}`));
    if (this.queue.length >= this.maxQueue) return Promise.reject(new QueueFullError(this.queue.length));
    return new Promise((resolve, reject) => {
      this.queue.push({ pixels, resolve, reject });
      this.schedule();
    });
  }

  /** Several images of one request, queued together (all or none refused). */
  embedAll(images: Uint8Array[]): Promise<Float32Array[]> {
    if (this.queue.length + images.length > this.maxQueue) return Promise.reject(new QueueFullError(this.queue.length));
    return Promise.all(images.map((p) => this.embed(p)));
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queue.length >= this.maxBatch) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.run();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.run();
      }, this.windowMs);
    }
  }

  private async run(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const jobs = this.queue.splice(0, this.maxBatch);
    try {
      jobs.forEach((j, k) => this.buffer.set(j.pixels, k * this.stride));
      const b = { data: this.buffer, n: jobs.length, size: this.size };
      const { vectors } = await embedBatch(this.model, b, this.output, this.flip, this.scratch);
      const dim = vectors.length / jobs.length;
      l2NormalizeRows(vectors, dim);
      jobs.forEach((j, k) => j.resolve(vectors.slice(k * dim, (k + 1) * dim)));
      this.batches++;
      this.images += jobs.length;
    } catch (e) {
      for (const j of jobs) j.reject(e as Error);
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  /** Refuses new work and waits for what is queued. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running || this.queue.length > 0) {
      if (!this.running) await this.run();
      else await new Promise((r) => setTimeout(r, 2));
    }
  }
}
