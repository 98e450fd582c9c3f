/**
 * The loader's fast path: JPEG files and cache records are decoded, cropped, resized, flipped,
 * grayed and tone-adjusted by the addon's decodeBatch (libjpeg-turbo with DCT-domain downscaling,
 * on a pool of native threads, straight into the batch buffer). The geometry is planned here with
 * the same functions as the sharp path (faceRegion, shortSideDims, cropOrigin) and the
 * augmentation parameters come from augmentParams, so both paths cut the same window; only the
 * resampling filter differs (antialiased bilinear here, lanczos3 in sharp; see docs/loader.md).
 * Everything else goes to sharp: other formats, EXIF-rotated / CMYK / 12-bit JPEGs, alignment,
 * rotation / scale / saturation jitter, and any image the native decoder rejects (sharp then
 * decodes it or reports it as a counted issue).
 */
import * as os from 'os';
import { native, type DecodeSpec, type NativeBinding } from '../native';
import type { AugmentParams } from './augment';
import { cropOrigin, resizeShortSide, shortSideDims, type Region } from './boxes';
import { CacheDataset, type CacheRecord } from './cache';
import { Subset } from './dataset';
import type { IssueKind, Issues } from './issues';
import { readJpegHeader } from './jpeg-header';
import { sniffFormat } from './magic';
import { faceRegion, linearTone, readImageFile, type FaceOptions } from './transform';
import type { Dataset, SampleSource } from './types';

export type { DecodeSpec } from '../native';

let loaded: NativeBinding | null | undefined;

/** The addon when it loads and has TurboJPEG; undefined otherwise (the loader then uses sharp). */
export function nativeDecoder(): NativeBinding | undefined {
  if (loaded === undefined) {
    try {
      const b = native();
      loaded = typeof b.decodeBatch === 'function' && b.turbojpeg ? b : null;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/** Rotation, scale and saturation jitter are sharp-only; crop, flip, gray, brightness and contrast are native. */
export function nativeAugmentable(p: AugmentParams): boolean {
  return p.scale === 1 && p.angle === 0 && p.saturation === 1;
}

function windowSpec(data: Buffer, kind: DecodeSpec['kind'], width: number, height: number, region: Region, resized: { width: number; height: number }, size: number, p: AugmentParams): DecodeSpec {
  const o = cropOrigin(resized.width, resized.height, size, p.crop);
  const { gain, bias } = linearTone(p);
  return {
    data,
    kind,
    width,
    height,
    region: [region.left, region.top, region.width, region.height],
    resized: [resized.width, resized.height],
    crop: [o.left, o.top],
    flip: p.flip,
    gray: p.gray,
    gain,
    bias,
  };
}

/**
 * The native plan for a JPEG file's bytes, or undefined when sharp must decode it (EXIF rotation,
 * CMYK, 12-bit, an unreadable header, 5-point alignment). Throws DataError for a box outside the
 * image; `note` receives non-fatal problems (a partly-outside box).
 */
export function planJpeg(buf: Buffer, src: SampleSource, face: FaceOptions, p: AugmentParams, note?: (kind: IssueKind, detail: string) => void): DecodeSpec | undefined {
  if (face.crop === 'align' && src.landmarks) return undefined;
  const h = readJpegHeader(buf);
  if (!h || h.precision !== 8 || (h.components !== 1 && h.components !== 3) || h.orientation !== 1) return undefined;
  const region = faceRegion(src, h.width, h.height, face, note);
  const resized = shortSideDims(region.width, region.height, resizeShortSide(face.size));
  return windowSpec(buf, 'jpeg', h.width, h.height, region, resized, face.size, p);
}

/** The native plan for a cache record: it holds the base image already (no resize). */
export function planRecord(rec: CacheRecord, size: number, p: AugmentParams): DecodeSpec {
  const whole = { left: 0, top: 0, width: rec.width, height: rec.height };
  return windowSpec(rec.body, rec.encoding, rec.width, rec.height, whole, whole, size, p);
}

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
}

/** Renders what it can of each batch natively; the loader sends the rest through sharp. */
export class NativeRenderer {
  readonly threads: number;
  private readonly record?: (i: number) => CacheRecord;

  constructor(
    private readonly dataset: Dataset,
    private readonly face: FaceOptions,
    private readonly issues: Issues,
    private readonly binding: NativeBinding,
    opts: NativeRendererOptions = {},
  ) {
    this.threads = opts.threads ?? os.availableParallelism();
    this.record = cacheRecords(dataset);
  }

  private async plan(idx: number, p: AugmentParams): Promise<Plan> {
    if (!nativeAugmentable(p)) return {};
    if (this.record) return { spec: planRecord(this.record(idx), this.face.size, p), notes: [] };
    const src = this.dataset.source(idx);
    const buffer = await readImageFile(src.path);
    if (sniffFormat(buffer.subarray(0, 16)) !== 'jpeg') return { buffer };
    const notes: [IssueKind, string][] = [];
    const spec = planJpeg(buffer, src, this.face, p, (kind, detail) => notes.push([kind, detail]));
    return spec ? { spec, notes, buffer } : { buffer };
  }

  /** Files are read concurrently (fs, libuv's pool), then the whole batch is one decodeBatch call. */
  async render(indices: Int32Array, params: AugmentParams[], out: Buffer): Promise<SlotResult[]> {
    const plans = await Promise.all(Array.from(indices, (idx, slot) => this.plan(idx, params[slot]).catch((e: Error) => e)));
    const specs = plans.map((x) => (x instanceof Error || !('spec' in x) ? null : x.spec));
    const failed = specs.some((s) => s) ? await this.binding.decodeBatch(specs, out, this.face.size, { threads: this.threads }) : [];
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
