/**
 * The loader's fast path: each batch's JPEG files and cache records are decoded, cropped, resized,
 * flipped, grayed and tone-adjusted by one decodeBatch call (libjpeg-turbo with DCT-domain
 * downscaling, on a pool of native threads, straight into the batch buffer), planned by
 * decode-plans.ts. What it can't take — other formats, odd JPEGs, rotation / scale /
 * saturation jitter, images the native decoder rejects — is handed back for sharp.
 */
import * as os from 'os';
import type { NativeBinding } from '../native';
import type { AugmentParams } from './augment';
import { CacheDataset, type CacheRecord } from './cache';
import { Subset } from './dataset';
import type { IssueKind, Issues } from './issues';
import { sniffFormat } from './magic';
import type { MemoryCache } from './memory-cache';
import { loadBasesNative, nativeAugmentable, planJpeg, planRecord, type DecodeSpec } from './decode-plans';
import { readImageFile, type FaceOptions } from './transform';
import type { BaseImage, Dataset } from './types';

/** Records of sample i when the dataset is a cache, or a subset of one. */
function cacheRecords(ds: Dataset): ((i: number) => CacheRecord) | undefined {
  if (ds instanceof CacheDataset) return (i) => ds.record(i);
  if (ds instanceof Subset) {
    const inner = cacheRecords(ds.parent);
    return inner && ((i) => inner(ds.parentIndex(i)));
  }
  return undefined;
}

/** Per slot: rendered; unusable (a DataError or other error); or left to sharp, with the file's bytes when read. */
export type SlotResult = true | Error | { buffer?: Buffer };

type Plan = { spec: DecodeSpec; notes: [IssueKind, string][]; buffer?: Buffer } | { buffer?: Buffer };

export interface NativeRendererOptions {
  /** Decoding threads (default: every core; they share the cores with LibTorch's threads). */
  threads?: number;
  /** Keep decoded base images here and render later epochs from them (not for cache datasets). */
  memory?: MemoryCache;
}

/** Renders what it can of each batch natively; the loader sends the rest through sharp. */
export class NativeRenderer {
  readonly threads: number;
  private readonly record?: (i: number) => CacheRecord;
  private readonly memory?: MemoryCache;

  constructor(
    private readonly dataset: Dataset,
    private readonly face: FaceOptions,
    private readonly issues: Issues,
    private readonly binding: NativeBinding,
    opts: NativeRendererOptions = {},
  ) {
    this.threads = opts.threads ?? os.availableParallelism();
    this.record = cacheRecords(dataset);
    if (!this.record && opts.memory) {
      opts.memory.check(face);
      this.memory = opts.memory;
    }
  }

  /**
   * Per slot, its base image from memory, or decoded whole (all of the batch's misses in one
   * decodeBatch call) and kept while the budget lasts; undefined where the slot does not use one.
   */
  private async memoryBases(indices: Int32Array, params: AugmentParams[]): Promise<(BaseImage | Error | undefined)[]> {
    const memory = this.memory;
    if (!memory) return [];
    const bases: (BaseImage | Error | undefined)[] = Array.from(indices, (idx, slot) =>
      nativeAugmentable(params[slot]) ? memory.get(this.dataset, idx) : undefined,
    );
    if (memory.full) return bases;
    const misses = bases.flatMap((b, slot) => (!b && nativeAugmentable(params[slot]) ? [slot] : []));
    if (misses.length === 0) return bases;
    const srcs = misses.map((slot) => this.dataset.source(indices[slot]));
    const loaded = await loadBasesNative(this.binding, srcs, this.face, this.issues, this.threads);
    misses.forEach((slot, k) => {
      const base = loaded[k];
      if (!(base instanceof Error)) memory.put(this.dataset, indices[slot], base);
      bases[slot] = base;
    });
    return bases;
  }

  private async plan(idx: number, p: AugmentParams, base: BaseImage | Error | undefined): Promise<Plan> {
    if (!nativeAugmentable(p)) return {};
    if (this.record) return { spec: planRecord(this.record(idx), this.face.size, p), notes: [] };
    if (base instanceof Error) throw base;
    // A window of a whole base is the same bytes as the one-pass decode below (docs/loader.md).
    if (base)
      return {
        spec: planRecord(
          { encoding: 'raw', body: base.data, width: base.width, height: base.height },
          this.face.size,
          p,
        ),
        notes: [],
      };
    const src = this.dataset.source(idx);
    const buffer = await readImageFile(src.path);
    if (sniffFormat(buffer.subarray(0, 16)) !== 'jpeg') return { buffer };
    const notes: [IssueKind, string][] = [];
    const spec = planJpeg(buffer, src, this.face, p, (kind, detail) => notes.push([kind, detail]));
    return spec ? { spec, notes, buffer } : { buffer };
  }

  /** Files are read concurrently (fs, libuv's pool), then the whole batch is one decodeBatch call. */
  async render(indices: Int32Array, params: AugmentParams[], out: Buffer): Promise<SlotResult[]> {
    const bases = await this.memoryBases(indices, params);
    const plans = await Promise.all(
      Array.from(indices, (idx, slot) => this.plan(idx, params[slot], bases[slot]).catch((e: Error) => e)),
    );
    const specs = plans.map((x) => (x instanceof Error || !('spec' in x) ? null : x.spec));
    const failed = specs.some((s) => s)
      ? await this.binding.decodeBatch(specs, out, this.face.size, { threads: this.threads })
      : [];
    return plans.map((x, slot): SlotResult => {
      if (x instanceof Error || !('spec' in x)) return x;
      if (failed[slot] !== null) return { buffer: x.buffer };
      try {
        for (const [kind, detail] of x.notes) this.issues.add(kind, detail); // throws when strict
      } catch (e) {
        return e as Error;
      }
      return true;
    });
  }
}
