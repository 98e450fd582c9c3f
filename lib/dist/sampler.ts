/**
 * The distributed sampler: each global batch of the single-process sampler is cut into worldSize
 * equal slices and rank r trains on slice r. Every rank sees distinct images, the union is what one
 * process would train on at the global batch size, and the loader position (a global batch index)
 * means the same on every rank and at any world size: a run resumes exactly with more or fewer ranks.
 */
import type { Sampler } from '../data/sampler';

export function shardSampler(inner: Sampler, rank: number, worldSize: number): Sampler {
  if (worldSize === 1) return inner;
  return {
    batchesPerEpoch: inner.batchesPerEpoch,
    batch: (epoch, b) => {
      const all = inner.batch(epoch, b);
      const per = all.length / worldSize;
      if (!Number.isInteger(per))
        throw new Error(
          `a batch of ${all.length} does not split over ${worldSize} ranks: use a batch size divisible by it`,
        );
      return all.slice(rank * per, (rank + 1) * per);
    },
  };
}
