/**
 * A gallery of known people: identity → template (the re-normalised mean of the L2-normalised
 * embeddings of its images), kept on disk crash-safely (store.ts) and searched exactly, as one
 * matrix product in LibTorch (native gallerySearch). Calls are serialised, so concurrent enrolls
 * and searches from a service see whole states only.
 */
import * as fs from 'fs';
import { Issues } from '../data/issues';
import { embedDataset, type EmbedOptions } from '../eval/embed';
import { ImageListDataset } from '../eval/image-list';
import type { Model } from '../model';
import { native } from '../native';
import { ApproximateIndex, DENSE_CONNECTIVITY, type Tuning } from './approximate';
import { toBf16 } from './bf16';
import {
  appendTemplates,
  compact,
  createStore,
  MANIFEST,
  readManifest,
  readTemplates,
  removeStale,
  writeManifest,
  type GalleryWeights,
  type Manifest,
  type Row,
} from './store';
import { makeThumbnail, readThumbnail, removeThumbnail, writeThumbnail } from './thumbnails';
import { selfQueries } from './tune';
import { weightsMismatch } from './weights';
import * as path from 'path';

export interface GalleryOpenOptions {
  /** Make an empty gallery when the folder has none (it takes `weights`). */
  create?: boolean;
  /** The weights the caller's embeddings come from; refused when they are not the gallery's. */
  weights?: GalleryWeights;
  /** From this many identities on, search through an approximate HNSW index (default 50,000). */
  approximateAbove?: number;
  /**
   * The recall@1 the approximate index is tuned to reach (default 0.99), estimated against exact
   * search on queries made from the gallery's own templates; a wider search costs speed.
   */
  recall?: number;
  /**
   * Exact search's matrix product: fp32 (default), or bf16 — a bf16 copy of the templates, half
   * the memory traffic and the CPU's bf16 GEMM (2.5-2.7x at 100k here); its top candidates are
   * re-scored in fp32, so scores are exact and only near-ties past the 16th candidate can differ.
   */
  precision?: SearchPrecision;
}

export type SearchPrecision = 'fp32' | 'bf16';

export interface SearchHit {
  id: string;
  score: number;
}

export interface SearchResult {
  hits: SearchHit[];
  /** True when no identity scores at or above the threshold. */
  unknown: boolean;
}

export interface SearchOptions {
  /** Identities per query (default 5). */
  k?: number;
  /** Below this best score a query is `unknown`. */
  threshold?: number;
  /** Exact search even where the gallery has an approximate index. */
  exact?: boolean;
}

/** Images to embed for enrollImages / searchImages: the eval path's options, and the skips counted. */
export type ImageOptions = Omit<EmbedOptions, 'issues' | 'onProgress'> & { issues?: Issues };

function unitTemplate(embeddings: Float32Array[], dim: number, what: string): Float32Array {
  if (embeddings.length === 0) throw new Error(`${what}: no embeddings to enroll`);
  const t = new Float32Array(dim);
  for (const [i, e] of embeddings.entries()) {
    if (e.length !== dim) throw new RangeError(`${what}: embedding ${i} has ${e.length} values, the gallery ${dim}`);
    let s = 0;
    for (let j = 0; j < dim; j++) {
      if (!Number.isFinite(e[j])) throw new RangeError(`${what}: embedding ${i} is not finite at ${j}`);
      s += e[j] * e[j];
    }
    if (s === 0) throw new RangeError(`${what}: embedding ${i} is all zeros`);
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) t[j] += e[j] * inv;
  }
  const n = Math.hypot(...t);
  if (!(n > 0)) throw new RangeError(`${what}: the embeddings cancel out (opposite vectors)`);
  for (let j = 0; j < dim; j++) t[j] /= n;
  return t;
}

/** Candidates an approximate (or bf16) search takes past k, re-scored in fp32. */
const CANDIDATES = 16;

/** A default-degree graph needing this search breadth or more is rebuilt denser (approximate.ts). */
const DENSER_FROM = 512;

/** The k best of some live rows for query q, by the fp32 dot product with their templates. */
function bestRows(q: Float32Array, rows: number[], live: Float32Array, k: number): { row: number; score: number }[] {
  const dim = q.length;
  return rows
    .map((row) => {
      let score = 0;
      for (let j = 0, t = row * dim; j < dim; j++) score += q[j] * live[t + j];
      return { row, score };
    })
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

function checkId(id: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 256 || [...id].some((c) => c.charCodeAt(0) < 0x20))
    throw new RangeError(`identity ${JSON.stringify(id)}: 1-256 characters, no control characters`);
  return id;
}

export class Gallery {
  private m: Manifest;
  /** The live templates, compact (row i ↔ ids[i]); replaced, never written into, once searchable. */
  private live: Float32Array;
  /** With precision bf16: a bf16 copy of `live`, made by the first exact search that needs it. */
  private bf16?: { of: Float32Array; rows: Uint16Array };
  private liveIds: string[];
  private rowOf = new Map<string, number>();
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private ann?: ApproximateIndex;
  /** The approximate index changed since it was saved. */
  private annDirty = false;

  private constructor(
    readonly dir: string,
    m: Manifest,
    templates: Float32Array,
    private readonly approximateAbove: number,
    readonly precision: SearchPrecision,
    private readonly recall: number,
  ) {
    this.m = m;
    this.live = new Float32Array(0);
    this.liveIds = [];
    this.rebuild(templates);
    if (this.size >= approximateAbove) {
      this.ann = ApproximateIndex.load(dir, m.generation, m.dim, m.rows.length);
      this.annDirty = !this.ann || this.ann.rows < m.rows.length;
    }
    this.updateIndex(templates);
  }

  /** Opens the gallery in `dir` (reading it whole: milliseconds for 10k identities). */
  static async open(dir: string, o: GalleryOpenOptions = {}): Promise<Gallery> {
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder`);
    const above = o.approximateAbove ?? 50_000;
    if (!(above >= 1)) throw new RangeError(`approximateAbove must be >= 1, got ${above}`);
    const recall = o.recall ?? 0.99;
    if (!(recall > 0 && recall <= 1)) throw new RangeError(`recall must be in (0, 1], got ${recall}`);
    const precision = o.precision ?? 'fp32';
    if (precision !== 'fp32' && precision !== 'bf16')
      throw new RangeError(`precision must be 'fp32' or 'bf16', got '${String(precision)}'`);
    const exists = fs.existsSync(path.join(dir, MANIFEST));
    if (!exists && !o.create) throw new Error(`${dir}: no gallery here (no ${MANIFEST}); enroll someone to create one`);
    if (!exists) {
      if (!o.weights) throw new Error(`${dir}: a new gallery needs the weights' description`);
      // The dimension is fixed by the first enroll.
      return new Gallery(dir, createStore(dir, 1, o.weights), new Float32Array(0), above, precision, recall);
    }
    const m = readManifest(dir);
    if (o.weights) {
      const why = weightsMismatch(m.weights, o.weights);
      if (why) throw new Error(`${dir}: ${why}`);
    }
    removeStale(dir, m);
    ApproximateIndex.removeStaleTuning(dir);
    const g = new Gallery(dir, m, readTemplates(dir, m), above, precision, recall);
    await g.maybeTune();
    return g;
  }

  /** Identities enrolled. */
  get size(): number {
    return this.liveIds.length;
  }

  /** Embedding length (1 until the first enroll of a new gallery). */
  get dim(): number {
    return this.m.dim;
  }

  get weights(): GalleryWeights {
    return this.m.weights;
  }

  ids(): string[] {
    return this.liveIds.slice();
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  /** Adds (or with `replace`, replaces) one identity from its embeddings. */
  enroll(id: string, embeddings: Float32Array[], o: { replace?: boolean } = {}): Promise<void> {
    return this.enrollMany([{ id, embeddings }], o);
  }

  /** Several identities, one write. All are checked before anything is written. */
  enrollMany(entries: { id: string; embeddings: Float32Array[] }[], o: { replace?: boolean } = {}): Promise<void> {
    return this.serial(async () => {
      // A new gallery takes the first embeddings' length; after that it is fixed.
      const dim = this.m.rows.length === 0 ? entries[0]?.embeddings[0]?.length : this.dim;
      if (!dim) throw new Error('enroll: no embeddings');
      const seen = new Set<string>();
      const rows = entries.map(({ id, embeddings }) => {
        checkId(id);
        if (seen.has(id)) throw new Error(`enroll: identity '${id}' given twice`);
        seen.add(id);
        if (this.rowOf.has(id) && !o.replace)
          throw new Error(`identity '${id}' is enrolled already (replace it to update)`);
        return unitTemplate(embeddings, dim, `identity '${id}'`);
      });
      const block = new Float32Array(rows.length * dim);
      rows.forEach((r, i) => block.set(r, i * dim));
      const next: Row[] = this.m.rows.map((r) => (r && seen.has(r.id) ? null : r));
      entries.forEach((e) => next.push({ id: e.id, images: e.embeddings.length }));
      appendTemplates(this.dir, this.m.generation, this.m.rows.length, dim, block);
      const m = { ...this.m, dim, rows: next };
      writeManifest(this.dir, m);
      const all = new Float32Array(next.length * dim);
      if (this.m.dim === dim) all.set(this.allRows());
      all.set(block, this.m.rows.length * dim);
      this.m = m;
      this.rebuild(all);
      this.updateIndex(all);
      this.maybeCompact();
      await this.maybeTune();
    });
  }

  /** Removes one identity; an unknown id is an error. */
  remove(id: string): Promise<void> {
    return this.serial(async () => {
      if (!this.rowOf.has(id)) throw new Error(`no identity '${id}' in this gallery`);
      const all = this.allRows();
      const m = { ...this.m, rows: this.m.rows.map((r) => (r?.id === id ? null : r)) };
      writeManifest(this.dir, m);
      removeThumbnail(this.dir, id);
      this.m = m;
      this.rebuild(all);
      this.updateIndex(all);
      this.maybeCompact();
      await this.maybeTune();
    });
  }

  /** Keeps a small picture of an enrolled person (from one of their images). */
  async setThumbnail(id: string, image: Buffer): Promise<void> {
    const jpeg = await makeThumbnail(image);
    return this.serial(async () => {
      if (!this.rowOf.has(id)) throw new Error(`no identity '${id}' in this gallery`);
      writeThumbnail(this.dir, id, jpeg);
    });
  }

  /** The person's thumbnail (JPEG), when one was kept. */
  thumbnail(id: string): Buffer | undefined {
    return this.rowOf.has(id) ? readThumbnail(this.dir, id) : undefined;
  }

  /** Top-k identities of one query (or of each of several) by cosine similarity. */
  search(query: Float32Array, o?: SearchOptions): Promise<SearchResult>;
  search(queries: Float32Array[], o?: SearchOptions): Promise<SearchResult[]>;
  search(q: Float32Array | Float32Array[], o: SearchOptions = {}): Promise<SearchResult | SearchResult[]> {
    const queries = Array.isArray(q) ? q : [q];
    // Not queued behind other calls: a search reads one state whole (enrolls replace the arrays it
    // holds, never write into them), so concurrent searches reach the compute thread together
    // instead of each waiting for the forward pass queued after the previous one (the service).
    if (this.closed) return Promise.reject(new Error(`${this.dir}: the gallery is closed`));
    return this.searchRows(queries, o).then((results) => (Array.isArray(q) ? results : results[0]));
  }

  private async searchRows(queries: Float32Array[], o: SearchOptions): Promise<SearchResult[]> {
    const k = o.k ?? 5;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
    const dim = this.dim;
    const flat = new Float32Array(queries.length * dim);
    queries.forEach((v, i) => {
      if (v.length !== dim) throw new RangeError(`query ${i} has ${v.length} values, the gallery ${dim}`);
      flat.set(v, i * dim);
    });
    if (this.size === 0) return queries.map(() => ({ hits: [], unknown: true }));
    const result = (hits: SearchHit[]) => ({
      hits,
      unknown: o.threshold !== undefined && !(hits[0]?.score >= o.threshold),
    });
    // Approximate scores (the int8 graph's, bf16 products) pick candidates past k; their fp32
    // re-scoring decides the order, so near-ties of the approximation don't.
    const candidates = Math.min(Math.max(k, CANDIDATES), this.size);
    // One state for the whole search: an enroll finishing meanwhile replaces these, never changes them.
    const { live, liveIds: ids } = this;
    // The k best of some live rows for query i, by the fp32 dot product with their templates.
    const rescore = (i: number, rows: number[]) =>
      bestRows(flat.subarray(i * dim, (i + 1) * dim), rows, live, k).map(({ row, score }) => ({ id: ids[row], score }));
    if (this.ann && !o.exact) {
      const r = this.ann.search(flat, queries.length, candidates);
      return r.keys.map((keys, i) => result(rescore(i, this.liveRowsOf(keys))));
    }
    const bf16 = this.precision === 'bf16' ? this.bf16Of(live) : undefined;
    const r = await native().gallerySearch(bf16 ?? live, flat, { dim, k: bf16 ? candidates : k });
    return queries.map((_, i) => {
      const rows = Array.from(r.indices.subarray(i * r.k, (i + 1) * r.k));
      if (bf16) return result(rescore(i, rows));
      return result(rows.map((row, j) => ({ id: ids[row], score: r.scores[i * r.k + j] })));
    });
  }

  /** Embeds image files (the eval path: counted skips in `issues`) and enrolls them as one identity. */
  async enrollImages(model: Model, id: string, files: string[], o: ImageOptions & { replace?: boolean } = {}) {
    const e = await this.embedFiles(model, files, `enroll '${id}'`, o);
    await this.enroll(id, e.vectors, o);
    await this.setThumbnail(id, await fs.promises.readFile(files[e.indices[0]]));
    return { id, images: e.vectors.length, skipped: files.length - e.vectors.length };
  }

  /** Embeds image files and searches each; unusable images are skipped (null) and counted. */
  async searchImages(model: Model, files: string[], o: ImageOptions & SearchOptions = {}) {
    const e = await this.embedFiles(model, files, 'search', o);
    const found = await this.search(e.vectors, o);
    const out: (SearchResult | null)[] = files.map(() => null);
    e.indices.forEach((idx, r) => (out[idx] = found[r]));
    return out;
  }

  private async embedFiles(model: Model, files: string[], what: string, o: ImageOptions) {
    const e = await embedDataset(model, new ImageListDataset(files, what), { ...o, issues: o.issues ?? new Issues() });
    const vectors = Array.from(e.indices, (_, r) => e.data.slice(r * e.dim, (r + 1) * e.dim));
    return { vectors, indices: Array.from(e.indices) };
  }

  /** Nothing is held open between calls; close waits for calls in flight and refuses later ones. */
  async close(): Promise<void> {
    await this.serial(async () => {
      if (this.ann && this.annDirty) this.ann.save(this.dir);
      this.annDirty = false;
      this.closed = true;
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(() => {
      if (this.closed) throw new Error(`${this.dir}: the gallery is closed`);
      return work();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The bf16 copy of these live rows: made once per state, and only when an exact search needs it. */
  private bf16Of(live: Float32Array): Uint16Array {
    if (this.bf16?.of !== live) this.bf16 = { of: live, rows: toBf16(live) };
    return this.bf16.rows;
  }

  /** An enrolled identity's template (a view into the compact live copy). */
  private templateOf(id: string): Float32Array {
    const row = this.rowOf.get(id)!;
    return this.live.subarray(row * this.dim, (row + 1) * this.dim);
  }

  /** Every row of the current generation (live and dead), rebuilt from the compact live copy. */
  private allRows(): Float32Array {
    const all = new Float32Array(this.m.rows.length * this.dim);
    this.m.rows.forEach((r, i) => r && all.set(this.templateOf(r.id), i * this.dim));
    return all;
  }

  private rebuild(all: Float32Array): void {
    const dim = this.dim;
    const ids: string[] = [];
    this.m.rows.forEach((r) => r && ids.push(r.id));
    const live = new Float32Array(ids.length * dim);
    let o = 0;
    this.m.rows.forEach((r, i) => {
      if (r) live.set(all.subarray(i * dim, (i + 1) * dim), o++ * dim);
    });
    this.live = live;
    this.bf16 = undefined;
    this.liveIds = ids;
    this.rowOf = new Map(ids.map((id, i) => [id, i]));
  }

  /** Dead rows past half the file: rewrite the live ones as a new generation. */
  private maybeCompact(): void {
    const dead = this.m.rows.length - this.size;
    if (dead < 64 || dead * 2 < this.m.rows.length) return;
    this.m = compact(
      this.dir,
      this.m,
      this.m.rows.filter((r) => r !== null),
      this.live,
    );
    // Row numbers changed: a new index over the compacted rows.
    if (this.ann) {
      ApproximateIndex.discard(this.dir);
      this.ann = undefined;
      this.updateIndex(this.live);
    }
  }

  /** Whether searches use the approximate index. */
  get approximate(): boolean {
    return this.ann !== undefined;
  }

  /** The approximate index's search breadth and the recall@1 estimated for it (undefined: exact search). */
  get indexTuning(): Tuning | undefined {
    return this.ann?.tuning;
  }

  /** Live rows of template-file keys (the approximate index's). */
  private liveRowsOf(keys: number[]): number[] {
    return keys.map((key) => this.rowOf.get(this.m.rows[key]!.id)!);
  }

  /**
   * Tunes the approximate index's search breadth to this gallery's data when it was never tuned or
   * the gallery has doubled since: the smallest breadth whose top-1 agrees with exact search on
   * `recall` of 200 queries made from enrolled templates (lib/gallery/tune.ts). When the default
   * graph needs a breadth of DENSER_FROM or more, or falls short even at the widest, it is rebuilt
   * denser (DENSE_CONNECTIVITY) and tuned again; a warning when that still falls short.
   */
  private async maybeTune(): Promise<void> {
    let ann = this.ann;
    if (!ann || (ann.tuning.tunedRows > 0 && this.size < 2 * ann.tuning.tunedRows)) return;
    const { live, dim } = this;
    const queries = selfQueries(live, dim, 200);
    const count = queries.length / dim;
    const exact = await native().gallerySearch(live, queries, { dim, k: 1 });
    const truth = Array.from(exact.indices.subarray(0, count));
    const top1 = (q: number, keys: number[]) =>
      bestRows(queries.subarray(q * dim, (q + 1) * dim), this.liveRowsOf(keys), live, 1)[0]?.row ?? -1;
    const o = { candidates: Math.min(CANDIDATES, this.size), target: this.recall, liveRows: this.size };
    let t = ann.tune(this.dir, queries, truth, top1, o);
    if (ann.connectivity < DENSE_CONNECTIVITY && (t.expansionSearch >= DENSER_FROM || (t.recall ?? 0) < this.recall)) {
      ann = new ApproximateIndex(dim, this.m.generation, DENSE_CONNECTIVITY);
      ann.sync(this.m.rows, (row) => this.templateOf(this.m.rows[row]!.id), []);
      this.ann = ann;
      t = ann.tune(this.dir, queries, truth, top1, o);
    }
    this.annDirty = true;
    // Vectors with no structure can stay short of the target even so: said, not hidden. Exact
    // search remains one option away.
    if ((t.recall ?? 0) < this.recall)
      process.emitWarning(
        `${this.dir}: the approximate index finds ${t.recall} of exact search's top-1 on this gallery's data at its ` +
          `widest search (target ${this.recall}); search with { exact: true } where that matters`,
        'GalleryRecallWarning',
      );
  }

  /** Keeps the approximate index in step with the manifest (`all`: every row of the template file). */
  private updateIndex(all: Float32Array): void {
    if (this.size < this.approximateAbove) {
      if (this.ann) ApproximateIndex.discard(this.dir);
      this.ann = undefined;
      return;
    }
    if (!this.ann) {
      ApproximateIndex.discard(this.dir);
      this.ann = new ApproximateIndex(this.dim, this.m.generation);
    }
    const dead: number[] = [];
    this.m.rows.forEach((r, i) => r === null && dead.push(i));
    const before = this.ann.rows;
    this.ann.sync(this.m.rows, (row) => all.subarray(row * this.dim, (row + 1) * this.dim), dead);
    if (this.ann.rows !== before || dead.length) this.annDirty = true;
  }
}
