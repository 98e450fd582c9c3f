/**
 * Gallery search at scale, on synthetic unit vectors: exact search (one LibTorch matrix product)
 * against the approximate HNSW index (usearch) — queries/s, recall@1 of the approximate top-1
 * against the exact one, build time and memory. Queries are noisy copies of enrolled vectors
 * (cosine ~0.7 to their source), as a face is to its identity's template; uniformly random
 * queries in 512 dimensions have no true neighbour to find.
 */
import { native } from '../../lib/native';
import { ApproximateIndex } from '../../lib/gallery/approximate';
import type { Row as GalleryRow } from '../../lib/gallery/store';
import type { Row, Suite } from '../harness';

function randomUnitRows(n: number, dim: number, seed: number): Float32Array {
  const out = new Float32Array(n * dim);
  let s = seed >>> 0 || 1;
  for (let r = 0; r < n; r++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      const v = (s >>> 0) / 2 ** 32 - 0.5;
      out[r * dim + j] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) out[r * dim + j] *= inv;
  }
  return out;
}

/** `count` queries: enrolled row i·stride plus noise of about its own size, re-normalised. */
function noisyQueries(rows: Float32Array, n: number, dim: number, count: number): Float32Array {
  const noise = randomUnitRows(count, dim, 777);
  const out = new Float32Array(count * dim);
  const stride = Math.floor(n / count);
  for (let q = 0; q < count; q++) {
    let norm = 0;
    for (let j = 0; j < dim; j++) {
      const v = rows[q * stride * dim + j] + noise[q * dim + j];
      out[q * dim + j] = v;
      norm += v * v;
    }
    for (let j = 0; j < dim; j++) out[q * dim + j] /= Math.sqrt(norm);
  }
  return out;
}

const rssMb = () => process.memoryUsage().rss / 2 ** 20;

const suite: Suite = {
  name: 'gallery',
  describe: 'gallery search: approximate HNSW (usearch, 1 thread) vs exact (LibTorch mm), recall@1, build time, memory',
  optIn: true,
  flags: { 'gallery-max': 'largest gallery to try (default 100000; 1000000 adds the 1M row, 512-d only: minutes)' },
  async run({ quick, smoke, arg, log }) {
    const max = Number(arg('gallery-max') ?? 100_000);
    const sizes = smoke ? [2_000] : [10_000, 100_000, 1_000_000].filter((n) => n <= max);
    const rows: Row[] = [];
    for (const dim of [512, 2048]) {
      for (const n of sizes) {
        if (n > 100_000 && dim > 512) continue; // 8 GB of vectors: not on this machine
        const count = smoke ? 50 : quick ? 200 : 1000;
        const gallery = randomUnitRows(n, dim, 12345 + n + dim);
        const queries = noisyQueries(gallery, n, dim, count);
        // Exact: one query per call (a service's case), then all queries in one product.
        const exactTop = new Int32Array(count);
        let t0 = performance.now();
        for (let q = 0; q < count; q++) {
          const r = await native().gallerySearch(gallery, queries.subarray(q * dim, (q + 1) * dim), { dim, k: 1 });
          exactTop[q] = r.indices[0];
        }
        const exactQps = count / ((performance.now() - t0) / 1000);
        t0 = performance.now();
        await native().gallerySearch(gallery, queries, { dim, k: 1 });
        const exactBatchQps = count / ((performance.now() - t0) / 1000);
        // Approximate: build, then single-threaded queries one at a time.
        const before = rssMb();
        t0 = performance.now();
        const ann = new ApproximateIndex(dim, 0);
        const manifest: GalleryRow[] = Array.from({ length: n }, (_, i) => ({ id: String(i), images: 1 }));
        ann.sync(manifest, gallery, []);
        const buildS = (performance.now() - t0) / 1000;
        const memMb = rssMb() - before;
        let hits = 0;
        t0 = performance.now();
        for (let q = 0; q < count; q++) {
          const r = ann.search(queries.subarray(q * dim, (q + 1) * dim), 1, 1, 1);
          if (r.keys[0][0] === exactTop[q]) hits++;
        }
        const annQps = count / ((performance.now() - t0) / 1000);
        const recall = hits / count;
        log(
          `  ${n} x ${dim}: exact ${exactQps.toFixed(0)} q/s (one by one), ${exactBatchQps.toFixed(0)} q/s (batched); ` +
            `approximate ${annQps.toFixed(0)} q/s single-threaded, recall@1 ${recall.toFixed(4)}, ` +
            `build ${buildS.toFixed(1)} s, +${memMb.toFixed(0)} MB`,
        );
        const base = {
          suite: 'gallery',
          rounds: 1,
          baseline: 'exact search, one query per call (LibTorch mm, all cores)',
        };
        const cfg = `${n.toLocaleString('en')} x ${dim}`;
        rows.push(
          {
            ...base,
            config: `${cfg}: approximate, 1 thread`,
            unit: 'queries/s',
            ours: annQps,
            pytorch: exactQps,
            ratio: annQps / exactQps,
          },
          {
            ...base,
            config: `${cfg}: recall@1 vs exact`,
            unit: '',
            ours: recall,
            pytorch: 1,
            ratio: recall,
            target: 0.99,
          },
          { ...base, config: `${cfg}: index build`, unit: 's', ours: buildS, pytorch: NaN, ratio: NaN },
          { ...base, config: `${cfg}: index memory`, unit: 'MB', ours: memMb, pytorch: NaN, ratio: NaN },
          {
            ...base,
            config: `${cfg}: exact, all queries in one product`,
            unit: 'queries/s',
            ours: exactBatchQps,
            pytorch: exactQps,
            ratio: exactBatchQps / exactQps,
          },
        );
      }
    }
    return rows;
  },
};

export default suite;
