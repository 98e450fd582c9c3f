/**
 * Queries for tuning the approximate index's search breadth to a gallery's own data: enrolled
 * templates spread over the gallery, each moved by a random direction of its own length (cosine
 * ~0.7 to the template, as a new photo of an enrolled person is to its template).
 */
import { gaussianArray } from '../random';

/** `count` such queries (fewer when the gallery is smaller), and the live row each one came from. */
export function selfQueries(live: Float32Array, dim: number, count: number): { queries: Float32Array; rows: number[] } {
  const size = live.length / dim;
  const n = Math.min(count, size);
  const stride = size / n;
  const noise = gaussianArray(n * dim, 0x5eed);
  const queries = new Float32Array(n * dim);
  const rows: number[] = [];
  for (let q = 0; q < n; q++) {
    const row = Math.floor(q * stride);
    rows.push(row);
    const v = queries.subarray(q * dim, (q + 1) * dim);
    const e = noise.subarray(q * dim, (q + 1) * dim);
    let en = 0;
    for (let j = 0; j < dim; j++) en += e[j] * e[j];
    const s = 1 / Math.sqrt(en); // the template is a unit row: noise of norm 1 too
    let vn = 0;
    for (let j = 0; j < dim; j++) {
      v[j] = live[row * dim + j] + s * e[j];
      vn += v[j] * v[j];
    }
    for (let j = 0; j < dim; j++) v[j] /= Math.sqrt(vn);
  }
  return { queries, rows };
}
