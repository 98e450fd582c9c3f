/**
 * The approximate index for large galleries: an HNSW graph from the `usearch` package (inner
 * product on unit rows = cosine). Keys are template-file row numbers, which only grow until a
 * compaction renumbers them (then the index is rebuilt). The index is derived data: saved next to
 * the gallery as a cache (index.usearch + index.json saying which generation and how many rows it
 * covers) and rebuilt from the templates whenever it is missing, stale or unreadable.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BatchMatches, Index, MetricKind, ScalarKind } from 'usearch';
import { fsyncPath, writeFileAtomic } from '../io/atomic-write';
import type { Row } from './store';

/**
 * Graph degree and search breadth (benchmarks/suites/gallery.ts, docs/gallery.md). The graph holds
 * int8 copies of the unit vectors (usearch scales [-1, 1] to int8): 4x less memory, and its int8
 * kernels made search 5x faster than its float32 ones here, at the same recall; the gallery
 * re-scores the hits with the float templates.
 */
export const HNSW = { connectivity: 16, expansionAdd: 128, expansionSearch: 128 };

const INDEX = 'index.usearch';
const STATE = 'index.json';

interface IndexState {
  generation: number;
  /** Rows [0, rows) of the template file are in the index (the dead ones removed). */
  rows: number;
  dim: number;
}

export class ApproximateIndex {
  private index: Index;
  /** Rows covered. */
  rows = 0;

  constructor(
    readonly dim: number,
    readonly generation: number,
  ) {
    this.index = ApproximateIndex.empty(dim);
  }

  private static empty(dim: number): Index {
    return new Index({
      dimensions: dim,
      metric: MetricKind.IP,
      quantization: ScalarKind.I8,
      connectivity: HNSW.connectivity,
      expansion_add: HNSW.expansionAdd,
      expansion_search: HNSW.expansionSearch,
      multi: false,
    });
  }

  get size(): number {
    return this.index.size();
  }

  /** Brings the index up to the manifest: adds live rows past `this.rows`, removes rows now dead. */
  sync(rows: Row[], templates: Float32Array, dead: Iterable<number>): void {
    for (const key of dead) if (key < this.rows) this.index.remove(BigInt(key));
    const keys: bigint[] = [];
    const start = this.rows;
    for (let i = start; i < rows.length; i++) if (rows[i]) keys.push(BigInt(i));
    if (keys.length) {
      const block = new Float32Array(keys.length * this.dim);
      keys.forEach((k, j) =>
        block.set(templates.subarray(Number(k) * this.dim, (Number(k) + 1) * this.dim), j * this.dim),
      );
      this.index.add(BigUint64Array.from(keys), block);
    }
    this.rows = rows.length;
  }

  /** Top-k row numbers and inner products of each query (one thread: `threads` 1). */
  search(queries: Float32Array, count: number, k: number, threads = 1): { keys: number[][]; scores: number[][] } {
    const r = this.index.search(queries, k, threads);
    const keys: number[][] = [];
    const scores: number[][] = [];
    if (r instanceof BatchMatches) {
      for (let q = 0; q < count; q++) {
        const n = Number(r.counts[q]);
        keys.push(Array.from(r.keys.subarray(q * k, q * k + n), Number));
        scores.push(Array.from(r.distances.subarray(q * k, q * k + n), (d) => 1 - d));
      }
    } else {
      keys.push(Array.from(r.keys, Number));
      scores.push(Array.from(r.distances, (d) => 1 - d));
    }
    return { keys, scores };
  }

  /** Saves the cache: the index to a temporary name, renamed; then the state naming it. */
  save(dir: string): void {
    // The state goes first and comes back last: a kill in between leaves no state, hence a rebuild,
    // never a state that undercounts the index (re-adding its rows would collide).
    fs.rmSync(path.join(dir, STATE), { force: true });
    const tmp = path.join(dir, `.${INDEX}.tmp-${process.pid}`);
    this.index.save(tmp);
    fsyncPath(tmp);
    fs.renameSync(tmp, path.join(dir, INDEX));
    const state: IndexState = { generation: this.generation, rows: this.rows, dim: this.dim };
    writeFileAtomic(path.join(dir, STATE), JSON.stringify(state));
  }

  /** The saved index when it belongs to this generation and dimension, else undefined (rebuild). */
  static load(dir: string, generation: number, dim: number, maxRows: number): ApproximateIndex | undefined {
    try {
      const s = JSON.parse(fs.readFileSync(path.join(dir, STATE), 'utf8')) as IndexState;
      if (s.generation !== generation || s.dim !== dim || !(s.rows <= maxRows)) return undefined;
      const a = new ApproximateIndex(dim, generation);
      a.index.load(path.join(dir, INDEX));
      a.rows = s.rows;
      return a;
    } catch {
      return undefined;
    }
  }

  /** Removes a saved index (the gallery went below the threshold, or was compacted). */
  static discard(dir: string): void {
    fs.rmSync(path.join(dir, STATE), { force: true });
    fs.rmSync(path.join(dir, INDEX), { force: true });
  }
}
