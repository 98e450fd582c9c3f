/**
 * Decoded base images (stage 1: decoded, cropped, resized) kept in memory across epochs, up to a
 * byte budget: a small face set (ORL, CFP, the demo) is decoded once instead of every epoch.
 *
 * Filled first come, first kept, never evicted: with every epoch visiting every sample in a new
 * order, an LRU would evict each image just before its next use, while keeping the first N gives
 * N hits per epoch. It only holds what the native path renders from a base image (the loader's
 * window is a plain crop of it), so a sample's pixels are the same whether it was a hit or a
 * miss — and a resumed run, which starts with an empty cache, sees the same bytes as a straight one.
 */
import { DEFAULT_BOX_EXTEND } from './boxes';
import type { FaceOptions } from './transform';
import type { BaseImage, Dataset } from './types';

export class MemoryCache {
  private readonly images = new Map<Dataset, Map<number, BaseImage>>();
  private used = 0;
  private spent = false;
  private readonly faceKey: string;
  hits = 0;
  misses = 0;

  /** `budgetMB` 0 keeps nothing (every lookup misses). */
  constructor(
    readonly budgetMB: number,
    face: FaceOptions,
  ) {
    if (!(budgetMB >= 0)) throw new RangeError(`memory cache: budget must be ≥ 0 MB, got ${budgetMB}`);
    this.faceKey = keyOf(face);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.used;
  }

  /** A put has failed: the budget is spent (misses may then take a cheaper road than a whole base). */
  get full(): boolean {
    return this.spent;
  }

  /** Throws when a loader with other face settings would share this cache (its bases would not fit). */
  check(face: FaceOptions): void {
    const k = keyOf(face);
    if (k !== this.faceKey) throw new Error(`memory cache: made for ${this.faceKey}, used with ${k}`);
  }

  get(ds: Dataset, i: number): BaseImage | undefined {
    const img = this.images.get(ds)?.get(i);
    if (img) this.hits++;
    else this.misses++;
    return img;
  }

  /** Keeps `img` for sample i of ds if it fits in the budget; false when it does not. */
  put(ds: Dataset, i: number, img: BaseImage): boolean {
    let m = this.images.get(ds);
    if (m?.has(i)) return true; // two batches in flight decoded it at once
    const size = img.data.length;
    if (this.used + size > this.budgetMB * 1024 * 1024) {
      this.spent = true;
      return false;
    }
    if (!m) this.images.set(ds, (m = new Map()));
    // A copy when the image is a view of a larger buffer, so the cache never pins that buffer.
    m.set(i, img.data.byteLength === img.data.buffer.byteLength ? img : { ...img, data: ownCopy(img.data) });
    this.used += size;
    return true;
  }

  /** Drops everything (the memory is the garbage collector's from here). */
  clear(): void {
    this.images.clear();
    this.used = 0;
    this.spent = false;
  }
}

function ownCopy(b: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(b.length); // not from Node's shared pool
  b.copy(copy);
  return copy;
}

function keyOf(f: FaceOptions): string {
  return `crop ${f.crop}, size ${f.size}, box extend ${f.boxExtend ?? DEFAULT_BOX_EXTEND}`;
}
