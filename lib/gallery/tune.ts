/**
 * Queries for tuning the approximate index's search breadth to a gallery's own data: enrolled
 * templates spread over the gallery, each moved by a random direction of its own length (cosine
 * ~0.7 to the template, as a new photo of an enrolled person is to its template).
 */
import { l2NormalizeRows } from '../eval/vectors';
import { gaussianArray } from '../random';

/** `count` such queries (fewer when the gallery is smaller), unit rows one after another. */
export function selfQueries(live: Float32Array, dim: number, count: number): Float32Array {
  const size = live.length / dim;
  const n = Math.min(count, size);
  const queries = l2NormalizeRows(gaussianArray(n * dim, 0x5eed), dim); // unit noise, as long as a template
  for (let q = 0; q < n; q++) {
    const row = Math.floor((q * size) / n);
    for (let j = 0; j < dim; j++) queries[q * dim + j] += live[row * dim + j];
  }
  return l2NormalizeRows(queries, dim);
}
