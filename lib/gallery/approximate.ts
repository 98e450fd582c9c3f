/**
 * The approximate index for large galleries: an HNSW graph from the `usearch` package (inner
 * product on unit rows = cosine). Keys are template-file row numbers, which only grow until a
 * compaction renumbers them (then the index is rebuilt). The index is derived data: saved next to
 * the gallery as a cache (index.usearch + index.json saying which generation and how many rows it
 * covers) and rebuilt from the templates whenever it is missing, stale or unreadable.
 * Its search breadth is tuned to the data (tune()): structured vectors like face embeddings need
 * the default, structureless ones up to 16x more for the same recall, or a denser graph (the
 * gallery rebuilds it at DENSE_CONNECTIVITY when the default one needs a wide search).
 */
import * as fs from 'fs';
import * as path from 'path';
import { BatchMatches, Index, MetricKind, ScalarKind } from 'usearch';
import { fsyncPath, writeFileAtomic } from '../io/atomic-write';
import { processAlive } from '../io/process-alive';
import type { Row } from './store';

/**
 * Graph degree and search breadth (benchmarks/suites/gallery.ts, docs/gallery.md). The graph holds
 * int8 copies of the unit vectors (usearch scales [-1, 1] to int8): 4x less memory, and its int8
 * kernels made search 5x faster than its float32 ones here, at the same recall; the gallery
 * re-scores the hits with the float templates.
 */
export const HNSW = { connectivity: 16, expansionAdd: 128, expansionSearch: 128 };

/**
 * The denser graph for structureless data. A search finds a row once it reaches one of the ~2M rows
 * linked to it, and it looks at ~2M rows per step: at N rows, recall ~ 1 - exp(-c·breadth·(2M)²/N)
 * (c 0.75-1 measured, uniform 512-d). Doubling M buys the recall of a 4x wider search at 2x the work
 * per step (100k uniform rows: 528 q/s at recall 0.998 against 470 at 0.990), and at a million
 * rows it reaches what the widest breadth at 16 cannot (0.885 at 2048). It costs a 2x slower build.
 */
export const DENSE_CONNECTIVITY = 32;

/** Search breadths tune() tries, smallest (fastest) first. */
export const EXPANSIONS = [128, 256, 512, 1024, 2048];

const INDEX = 'index.usearch';
/** tune()'s copy of the graph, named by the tuning process (as large as the index). */
const TUNE_PREFIX = '.tune-';
const TUNE_FILE = new RegExp(`^${TUNE_PREFIX.replace('.', '\\.')}(\\d+)\\.usearch$`);
const STATE = 'index.json';

interface IndexState {
  generation: number;
  /** Rows [0, rows) of the template file are in the index (the dead ones removed). */
  rows: number;
  dim: number;
  /** The graph's degree (absent in indexes saved before it could change: the default). */
  connectivity?: number;
  /** The tuned search breadth, the live rows it was tuned at and the recall estimated then. */
  expansionSearch?: number;
  tunedRows?: number;
  recall?: number;
}

/** What tune() found. */
export interface Tuning {
  /** The graph's degree (HNSW.connectivity, or DENSE_CONNECTIVITY). */
  connectivity: number;
  expansionSearch: number;
  /** Live rows when it was tuned (0: not yet). */
  tunedRows: number;
  /** Estimated recall@1 at that breadth. */
  recall?: number;
}

export class ApproximateIndex {
  private index: Index;
  /** Rows covered. */
  rows = 0;
  tuning: Tuning;

  constructor(
    readonly dim: number,
    readonly generation: number,
    readonly connectivity = HNSW.connectivity,
  ) {
    this.index = ApproximateIndex.empty(dim, HNSW.expansionSearch, connectivity);
    this.tuning = { connectivity, expansionSearch: HNSW.expansionSearch, tunedRows: 0 };
  }

  private static empty(dim: number, expansionSearch: number, connectivity: number): Index {
    return new Index({
      dimensions: dim,
      metric: MetricKind.IP,
      quantization: ScalarKind.I8,
      connectivity,
      expansion_add: HNSW.expansionAdd,
      expansion_search: expansionSearch,
      multi: false,
    });
  }

  /**
   * Picks the smallest search breadth at which `top1` (a query's best row among its `candidates`
   * keys, as the gallery re-scores them) agrees with `truth` (the exact search's) on at least
   * `target` of the queries (wider than the one in use only), the largest when none does. usearch
   * fixes the breadth when an index is made: wider ones are tried on memory-mapped copies, and the
   * chosen one loaded.
   */
  tune(
    dir: string,
    queries: Float32Array,
    truth: number[],
    top1: (q: number, keys: number[]) => number,
    o: { candidates: number; target: number; liveRows: number },
  ): Tuning {
    const recallOf = (index: Index) =>
      matches(index, queries, truth.length, o.candidates).keys.filter((k, q) => top1(q, k) === truth[q]).length /
      truth.length;
    // The breadth in use is tried on the index itself: when it is enough (structured data), nothing
    // is saved or mapped (a mapped copy slowed this process's later searches by ~15% here).
    const current = this.tuning.expansionSearch;
    const { connectivity } = this;
    let found: Tuning = { connectivity, expansionSearch: current, tunedRows: o.liveRows, recall: recallOf(this.index) };
    if (found.recall! >= o.target) return (this.tuning = found);
    const tmp = path.join(dir, `${TUNE_PREFIX}${process.pid}.usearch`);
    this.index.save(tmp);
    try {
      for (const ef of EXPANSIONS.filter((e) => e > current)) {
        const view = ApproximateIndex.empty(this.dim, ef, connectivity);
        view.view(tmp);
        found = { connectivity, expansionSearch: ef, tunedRows: o.liveRows, recall: recallOf(view) };
        if (found.recall! >= o.target) break;
      }
      if (found.expansionSearch !== current) {
        const index = ApproximateIndex.empty(this.dim, found.expansionSearch, connectivity);
        index.load(tmp);
        this.index = index;
      }
      return (this.tuning = found);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  get size(): number {
    return this.index.size();
  }

  /**
   * Brings the index up to the manifest: adds live rows past `this.rows` (`vectorOf` a template-file
   * row's template), removes rows now dead.
   */
  sync(rows: Row[], vectorOf: (row: number) => Float32Array, dead: Iterable<number>): void {
    for (const key of dead) if (key < this.rows) this.index.remove(BigInt(key));
    const keys: bigint[] = [];
    const start = this.rows;
    for (let i = start; i < rows.length; i++) if (rows[i]) keys.push(BigInt(i));
    if (keys.length) {
      const block = new Float32Array(keys.length * this.dim);
      keys.forEach((k, j) => block.set(vectorOf(Number(k)), j * this.dim));
      this.index.add(BigUint64Array.from(keys), block);
    }
    this.rows = rows.length;
  }

  /** Top-k row numbers and inner products of each query (one thread: `threads` 1). */
  search(queries: Float32Array, count: number, k: number, threads = 1): { keys: number[][]; scores: number[][] } {
    return matches(this.index, queries, count, k, threads);
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
    const state: IndexState = { generation: this.generation, rows: this.rows, dim: this.dim, ...this.tuning };
    writeFileAtomic(path.join(dir, STATE), JSON.stringify(state));
  }

  /** The saved index when it belongs to this generation and dimension, else undefined (rebuild). */
  static load(dir: string, generation: number, dim: number, maxRows: number): ApproximateIndex | undefined {
    try {
      const s = JSON.parse(fs.readFileSync(path.join(dir, STATE), 'utf8')) as IndexState;
      if (s.generation !== generation || s.dim !== dim || !(s.rows <= maxRows)) return undefined;
      const connectivity = s.connectivity ?? HNSW.connectivity;
      if (connectivity !== HNSW.connectivity && connectivity !== DENSE_CONNECTIVITY) return undefined;
      const a = new ApproximateIndex(dim, generation, connectivity);
      // A tuning that does not hold together is dropped: the index is tuned again.
      const tuned =
        s.expansionSearch !== undefined &&
        EXPANSIONS.includes(s.expansionSearch) &&
        Number.isInteger(s.tunedRows) &&
        s.tunedRows! > 0 &&
        s.tunedRows! <= s.rows &&
        typeof s.recall === 'number' &&
        s.recall >= 0 &&
        s.recall <= 1;
      if (tuned) {
        a.tuning = { connectivity, expansionSearch: s.expansionSearch!, tunedRows: s.tunedRows!, recall: s.recall };
        a.index = ApproximateIndex.empty(dim, s.expansionSearch!, connectivity);
      }
      a.index.load(path.join(dir, INDEX));
      if (a.index.connectivity() !== connectivity) return undefined; // the state does not describe this file
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

  /** Removes tuning copies left by processes killed while tuning (a live one's stays). */
  static removeStaleTuning(dir: string): void {
    for (const f of fs.readdirSync(dir)) {
      const m = TUNE_FILE.exec(f);
      if (m && !processAlive(Number(m[1]))) fs.rmSync(path.join(dir, f), { force: true });
    }
  }
}

/** Top-k keys and inner products of each query. */
function matches(
  index: Index,
  queries: Float32Array,
  count: number,
  k: number,
  threads = 1,
): { keys: number[][]; scores: number[][] } {
  const r = index.search(queries, k, threads);
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
