/** Small deterministic PRNG so that every random choice is reproducible from (seed, ...keys). */

/** Mix integers into one 32-bit state (murmur3-style finaliser per key). */
export function hashSeed(...keys: number[]): number {
  let h = 0x9e3779b9;
  for (const k of keys) {
    // Split into 32-bit halves so that large indices/seeds still mix fully.
    for (const part of [k >>> 0, Math.floor(k / 4294967296) >>> 0]) {
      h = Math.imul(h ^ part, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h >>> 0;
}

/** mulberry32: fast, good enough for shuffling and augmentation parameters. */
export class Rng {
  private state: number;
  constructor(...keys: number[]) {
    this.state = hashSeed(...keys);
  }
  /** A generator started at `state` as given (unhashed): plain mulberry32(state). */
  static fromState(state: number): Rng {
    const rng = new Rng();
    rng.state = state >>> 0;
    return rng;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(xs: T): T {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i];
      xs[i] = xs[j];
      xs[j] = t;
    }
    return xs;
  }
}
