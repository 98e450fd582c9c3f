/** Seeded pseudo-random numbers: reproducible across runs and platforms. */
import { Rng } from './data/rng';

/** mulberry32 from a seed, as a function (the data pipeline's Rng, unhashed). */
export function mulberry32(seed: number): () => number {
  const rng = Rng.fromState(seed);
  return () => rng.next();
}

/** n standard-normal float32 values (Box-Muller) from a seed. */
export function gaussianArray(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rand()));
    const theta = 2 * Math.PI * rand();
    out[i] = r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}
