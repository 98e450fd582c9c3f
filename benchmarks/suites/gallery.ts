/**
 * Gallery search at scale on synthetic unit vectors, through the Gallery itself: exact search (one
 * LibTorch matrix product) against the approximate HNSW index (usearch, int8 graph, hits re-ranked
 * with the float templates) — queries/s, recall@1 of the approximate top-1 against the exact one,
 * enroll + index build time, memory. Queries are noisy copies of enrolled vectors (cosine ~0.7 to
 * their source, as a face to its identity's template). Two kinds of galleries: uniformly random
 * unit vectors (the worst case for any graph index: no structure at all) and low-rank ones (a
 * 32-d latent projected to the embedding size plus 5% noise; face embeddings have an intrinsic
 * dimension of that order).
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Gallery } from '../../lib/gallery';
import type { Row, Suite } from '../harness';

function randomUnitRows(n: number, dim: number, seed: number): Float32Array {
  const out = new Float32Array(n * dim);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) / 2 ** 32 - 0.5;
  }
  return normalizeRows(out, dim);
}

function normalizeRows(v: Float32Array, dim: number): Float32Array {
  for (let o = 0; o < v.length; o += dim) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += v[o + j] * v[o + j];
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) v[o + j] *= inv;
  }
  return v;
}

/** Unit rows A·z + 0.05·e: z a random 32-d latent, A a fixed random 32 × dim projection. */
function lowRankRows(n: number, dim: number, seed: number): Float32Array {
  const latent = 32;
  const a = randomUnitRows(latent, dim, seed + 1);
  const z = randomUnitRows(n, latent, seed + 2);
  const out = randomUnitRows(n, dim, seed + 3);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < dim; j++) {
      let v = 0.05 * out[r * dim + j];
      for (let l = 0; l < latent; l++) v += z[r * latent + l] * a[l * dim + j];
      out[r * dim + j] = v;
    }
  return normalizeRows(out, dim);
}

/** `count` queries: enrolled row q·stride plus noise of its own size, re-normalised. */
function noisyQueries(rows: Float32Array, n: number, dim: number, count: number): Float32Array[] {
  const noise = randomUnitRows(count, dim, 777);
  const stride = Math.floor(n / count);
  return Array.from({ length: count }, (_, q) => {
    const v = new Float32Array(dim);
    for (let j = 0; j < dim; j++) v[j] = rows[q * stride * dim + j] + noise[q * dim + j];
    return normalizeRows(v, dim);
  });
}

const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const W = { sha256: '0'.repeat(64), arch: 'synthetic', inputSize: 112, output: 'features' as const, file: 'synthetic' };

const suite: Suite = {
  name: 'gallery',
  describe: 'gallery search: approximate HNSW (usearch, 1 thread) vs exact (LibTorch mm), recall@1, build time, memory',
  optIn: true,
  flags: {
    'gallery-max': 'largest gallery to try (default 100000; 1000000 adds the 1M row, 512-d only: minutes)',
    'gallery-min': 'smallest gallery to try (default 10000)',
    'gallery-kind': 'uniform or low-rank vectors only (default both)',
    'gallery-dim': '512 or 2048 only (default both)',
  },
  async run({ quick, smoke, arg, log }) {
    const max = Number(arg('gallery-max') ?? 100_000);
    const min = Number(arg('gallery-min') ?? 0);
    const sizes = smoke ? [2_000] : [10_000, 100_000, 1_000_000].filter((n) => n <= max && n >= min);
    const kinds = (['low-rank', 'uniform'] as const).filter((k) => (arg('gallery-kind') ?? k) === k);
    const dims = [512, 2048].filter((d) => Number(arg('gallery-dim') ?? d) === d);
    if (!sizes.length || !kinds.length || !dims.length) throw new Error('gallery: the flags leave nothing to measure');
    const rows: Row[] = [];
    for (const kind of kinds)
      for (const dim of dims)
        for (const n of sizes) {
          if (n > 100_000 && dim > 512) continue; // 8 GB of vectors: not on this machine
          const count = smoke ? 50 : quick ? 200 : 1000;
          const vectors = kind === 'uniform' ? randomUnitRows(n, dim, n + dim) : lowRankRows(n, dim, n + dim);
          const queries = noisyQueries(vectors, n, dim, count);
          const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-gallery-bench-'));
          try {
            const before = rssMb();
            let t0 = performance.now();
            const g = await Gallery.open(dir, { create: true, weights: W, approximateAbove: 1 });
            await g.enrollMany(
              Array.from({ length: n }, (_, i) => ({
                id: String(i),
                embeddings: [vectors.subarray(i * dim, (i + 1) * dim)],
              })),
            );
            const buildS = (performance.now() - t0) / 1000;
            const tuned = g.indexTuning!;
            const memMb = rssMb() - before;
            const timed = async (exact: boolean, gallery = g) => {
              const top: string[] = [];
              t0 = performance.now();
              for (const q of queries) top.push((await gallery.search(q, { k: 1, exact })).hits[0].id);
              return { top, qps: count / ((performance.now() - t0) / 1000) };
            };
            await g.search(queries[0], { k: 1, exact: true }); // first native call: warm-up
            const exact = await timed(true);
            const approx = await timed(false);
            const recall = approx.top.filter((id, i) => id === exact.top[i]).length / count;
            t0 = performance.now();
            await g.search(queries, { k: 1, exact: true });
            const exactBatchQps = count / ((performance.now() - t0) / 1000);
            await g.close();
            // Exact search through a bf16 copy of the templates (candidates re-scored in fp32).
            const gb = await Gallery.open(dir, { precision: 'bf16', approximateAbove: 1 });
            await gb.search(queries[0], { k: 1, exact: true });
            const bf16 = await timed(true, gb);
            await gb.close();
            const bf16Same = bf16.top.filter((id, i) => id === exact.top[i]).length / count;
            log(
              `  ${kind} ${n} x ${dim}: exact ${exact.qps.toFixed(0)} q/s (one by one), ${exactBatchQps.toFixed(0)} ` +
                `q/s (batched); approximate ${approx.qps.toFixed(0)} q/s at search breadth ${tuned.expansionSearch}, ` +
                `degree ${tuned.connectivity} ` +
                `(tuned: recall ${tuned.recall}), recall@1 ${recall.toFixed(4)}, enroll + ` +
                `build ${buildS.toFixed(1)} s, +${memMb.toFixed(0)} MB; exact bf16 ${bf16.qps.toFixed(0)} q/s ` +
                `(top-1 as fp32: ${bf16Same.toFixed(4)})`,
            );
            const base = { suite: 'gallery', rounds: 1, baseline: 'exact, one query per call (LibTorch mm)' };
            const cfg = `${kind} ${n.toLocaleString('en')} x ${dim}`;
            rows.push(
              {
                ...base,
                config: `${cfg}: approximate, 1 thread, search breadth ${tuned.expansionSearch}, degree ${tuned.connectivity} (tuned)`,
                unit: 'queries/s',
                ours: approx.qps,
                pytorch: exact.qps,
                ratio: approx.qps / exact.qps,
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
              {
                ...base,
                config: `${cfg}: enroll + index build + tuning`,
                unit: 's',
                ours: buildS,
                pytorch: NaN,
                ratio: NaN,
              },
              {
                ...base,
                config: `${cfg}: memory (gallery + index)`,
                unit: 'MB',
                ours: memMb,
                pytorch: NaN,
                ratio: NaN,
              },
              {
                ...base,
                config: `${cfg}: exact, all queries in one product`,
                unit: 'queries/s',
                ours: exactBatchQps,
                pytorch: exact.qps,
                ratio: exactBatchQps / exact.qps,
              },
              {
                ...base,
                config: `${cfg}: exact in bf16, one query per call (top-1 as fp32's: ${bf16Same.toFixed(4)})`,
                unit: 'queries/s',
                ours: bf16.qps,
                pytorch: exact.qps,
                ratio: bf16.qps / exact.qps,
              },
            );
          } finally {
            fs.rmSync(dir, { recursive: true, force: true });
          }
        }
    return rows;
  },
};

export default suite;
