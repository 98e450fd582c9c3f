/**
 * The one place lib/data calls the addon's decodeBatch: whether it is there, and the plans it is
 * given. A plan's geometry comes from the same functions as the sharp path (faceRegion,
 * shortSideDims, cropOrigin) and its augmentation from augmentParams, so both paths cut the same
 * window; only the resampling filter differs (antialiased bilinear — PIL's — here, lanczos3 in
 * sharp; see docs/loader.md). A 5-point alignment is the same native resampling on both paths.
 * JPEGs the native decoder should not take (EXIF rotation, CMYK, 12-bit) get no plan and go to sharp.
 */
import { native, type DecodeSpec, type NativeBinding } from '../native';
import { alignPlan } from './align';
import { landmarksUsable } from './annotations';
import { IDENTITY_AUGMENT, type AugmentParams } from './augment';
import { cropOrigin, resizeShortSide, shortSideDims, type Region } from './boxes';
import type { CacheRecord } from './cache';
import type { IssueKind, Issues } from './issues';
import { MAX_INPUT_PIXELS, readJpegHeader } from './jpeg-header';
import { sniffFormat } from './magic';
import { decodeBase, faceRegion, linearTone, readImageFile, type FaceOptions } from './transform';
import type { BaseImage, SampleSource } from './types';

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

function windowSpec(
  data: Buffer,
  kind: DecodeSpec['kind'],
  width: number,
  height: number,
  region: Region,
  resized: { width: number; height: number },
  size: number,
  p: AugmentParams,
): DecodeSpec {
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
 * CMYK, 12-bit, an unreadable header, unusable landmarks). Throws DataError for a box outside the
 * image; `note` receives non-fatal problems (a partly-outside box).
 */
export function planJpeg(
  buf: Buffer,
  src: SampleSource,
  face: FaceOptions,
  p: AugmentParams,
  note?: (kind: IssueKind, detail: string) => void,
  /** 'window': the size×size crop of p (a batch slot); 'whole': the whole resized region (a cache's stage 1). */
  extent: 'window' | 'whole' = 'window',
): DecodeSpec | undefined {
  const align = face.crop === 'align' && src.landmarks;
  // Unusable points: sharp's path counts them and falls back to the box.
  if (align && !landmarksUsable(align)) return undefined;
  const h = readJpegHeader(buf);
  if (!h || h.precision !== 8 || (h.components !== 1 && h.components !== 3) || h.orientation !== 1) return undefined;
  // Too big: sharp (the fallback) refuses it with the file named, before anything is allocated.
  if (h.width * h.height > MAX_INPUT_PIXELS) return undefined;
  let spec: DecodeSpec;
  if (align) {
    const whole = { left: 0, top: 0, width: h.width, height: h.height };
    const aligned = { width: face.size, height: face.size };
    spec = windowSpec(buf, 'jpeg', h.width, h.height, whole, aligned, face.size, p);
    spec.align = alignPlan(align, h.width, h.height, face.size);
  } else {
    const region = faceRegion(src, h.width, h.height, face, note);
    const resized = shortSideDims(region.width, region.height, resizeShortSide(face.size));
    spec = windowSpec(buf, 'jpeg', h.width, h.height, region, resized, face.size, p);
  }
  return extent === 'whole' ? { ...spec, crop: [0, 0], window: spec.resized, offset: 0 } : spec;
}

/** The native plan for a cache record: it holds the base image already (no resize). */
export function planRecord(rec: CacheRecord, size: number, p: AugmentParams): DecodeSpec {
  const whole = { left: 0, top: 0, width: rec.width, height: rec.height };
  return windowSpec(rec.body, rec.encoding, rec.width, rec.height, whole, whole, size, p);
}

/**
 * Stage 1 of one sample (as loadBase) with the native resize when the file is a JPEG it takes,
 * else sharp's: `prepare` stores these, so that a cache holds what the native loader computes
 * live (the loader's window is a crop of exactly this image).
 */
export async function loadBaseNative(
  binding: NativeBinding,
  src: SampleSource,
  face: FaceOptions,
  issues?: Issues,
): Promise<BaseImage> {
  const [base] = await loadBasesNative(binding, [src], face, issues);
  if (base instanceof Error) throw base;
  return base;
}

/**
 * loadBaseNative for many samples, with all the native decodes in one decodeBatch call (one trip to
 * the decode thread, one ParallelFor) into one buffer: each base is a view of it. Per sample: its
 * base image, or why it is unusable.
 */
export async function loadBasesNative(
  binding: NativeBinding,
  srcs: SampleSource[],
  face: FaceOptions,
  issues?: Issues,
  threads?: number,
): Promise<(BaseImage | Error)[]> {
  const plans = await Promise.all(
    srcs
      .map(async (src) => {
        const buf = await readImageFile(src.path);
        const notes: [IssueKind, string][] = [];
        const note = (kind: IssueKind, detail: string) => notes.push([kind, detail]);
        const jpeg = sniffFormat(buf.subarray(0, 16)) === 'jpeg';
        const spec = jpeg ? planJpeg(buf, src, face, IDENTITY_AUGMENT, note, 'whole') : undefined;
        return { src, buf, notes, spec };
      })
      .map((p) => p.catch((e: Error) => e)),
  );
  let bytes = 0;
  const specs = plans.map((p) => {
    if (p instanceof Error || !p.spec) return null;
    const offset = bytes;
    bytes += p.spec.resized[0] * p.spec.resized[1] * 3;
    return { ...p.spec, offset };
  });
  const out = Buffer.alloc(bytes);
  // size only sets the defaults of window and offset, which every spec gives.
  const failed = bytes > 0 ? await binding.decodeBatch(specs, out, 1, { threads }) : [];
  return Promise.all(
    plans.map(async (p, k): Promise<BaseImage | Error> => {
      if (p instanceof Error) return p;
      try {
        const spec = specs[k];
        if (!spec || failed[k] !== null) return await decodeBase(p.buf, p.src, face, issues);
        for (const [kind, detail] of p.notes) issues?.add(kind, detail); // throws when strict
        const [width, height] = spec.resized;
        return { data: out.subarray(spec.offset, spec.offset + width * height * 3), width, height };
      } catch (e) {
        return e as Error;
      }
    }),
  );
}
