/**
 * Pixel work with sharp, in two stages so that the cache can store stage 1:
 *  1. loadBase: decode (EXIF-oriented, any format, gray → RGB), loose-box crop or 5-point
 *     alignment, resize → a "base" RGB image (shorter side 256·size/224, or size×size aligned).
 *  2. renderInto: per-epoch augmentation (crop, flip, gray, jitter, scale/rotation) of a base,
 *     written straight into a batch buffer.
 */
import * as fs from 'fs';
import sharp from 'sharp';
import { landmarksUsable } from './annotations';
import { alignPlan, sharpAffinePlan, type Similarity } from './align';
import { native, type DecodeSpec } from '../native';
import type { AugmentParams } from './augment';
import {
  clampBox,
  cropOrigin,
  DEFAULT_BOX_EXTEND,
  extendBox,
  resizeShortSide,
  shortSideDims,
  type Region,
} from './boxes';
import { DataError, Issues, type IssueKind } from './issues';
import { sniffFormat } from './magic';
import { MAX_INPUT_PIXELS } from './jpeg-header';
import type { BaseImage, CropMode, SampleSource } from './types';
import { checkInputFile, MAX_IMAGE_BYTES } from '../io/input-file';

export interface FaceOptions {
  crop: CropMode;
  /** Output side in pixels (224 in the paper, 112 for the small models). */
  size: number;
  /** Loose-box enlargement (default 0.3). */
  boxExtend?: number;
}

// Truncated files must fail; harmless libjpeg warnings (extraneous bytes) must not, as with PIL.
const SHARP_INPUT = { failOn: 'truncated' as const, limitInputPixels: MAX_INPUT_PIXELS };
const GRAY: sharp.Matrix3x3 = [
  [0.299, 0.587, 0.114],
  [0.299, 0.587, 0.114],
  [0.299, 0.587, 0.114],
];
const BLACK = { r: 0, g: 0, b: 0 };

/** Reads an image file; DataError for a missing, empty or non-image file. */
export async function readImageFile(file: string): Promise<Buffer> {
  let buf: Buffer;
  try {
    // stat before open: a FIFO would block, /dev/zero or a 3 GB file would be read whole.
    const st = await fs.promises.stat(file);
    if (!st.isFile() || st.size > MAX_IMAGE_BYTES) {
      try {
        checkInputFile(file, 'image', MAX_IMAGE_BYTES);
      } catch (e) {
        throw new DataError('special-file', (e as Error).message);
      }
    }
    buf = await fs.promises.readFile(file);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError('missing-file', `${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (buf.length === 0) throw new DataError('empty-file', file);
  if (!sniffFormat(buf.subarray(0, 16))) throw new DataError('not-image', file);
  return buf;
}

async function sharpRaw(p: sharp.Sharp): Promise<BaseImage & { channels: number }> {
  const { data, info } = await p.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected RGB, got ${info.channels} channels`);
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Wrap sharp failures of a decodable-looking file as corrupt-image. */
async function decoding<T>(file: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError('corrupt-image', `${file}: ${pixelLimitText((e as Error).message)}`);
  }
}

/** sharp's "Input image exceeds pixel limit", with the limit said (the rest unchanged). */
export function pixelLimitText(message: string): string {
  return /exceeds pixel limit/.test(message)
    ? `image is larger than the ${MAX_INPUT_PIXELS}-pixel limit (${message}); downscale it first`
    : message;
}

/** Stage 1 for one sample. Throws DataError for unusable samples; notes non-fatal problems in `issues`. */
export async function loadBase(src: SampleSource, opts: FaceOptions, issues?: Issues): Promise<BaseImage> {
  return decodeBase(await readImageFile(src.path), src, opts, issues);
}

/**
 * The part of a width×height image that becomes the face (box mode; whole image without a box or
 * with crop 'none'). Throws DataError when the box misses the image; a partly-outside box is
 * clamped and noted.
 */
export function faceRegion(
  src: SampleSource,
  width: number,
  height: number,
  opts: FaceOptions,
  note?: (kind: IssueKind, detail: string) => void,
): Region {
  if (opts.crop === 'none' || !src.box) return { left: 0, top: 0, width, height };
  const raw = clampBox(src.box, width, height);
  if (!raw.region)
    throw new DataError('box-outside', `${src.path}: box ${JSON.stringify(src.box)} vs image ${width}×${height}`);
  if (!raw.inside)
    note?.('box-partly-outside', `${src.path}: box ${JSON.stringify(src.box)} vs image ${width}×${height}`);
  return clampBox(extendBox(src.box, opts.boxExtend ?? DEFAULT_BOX_EXTEND), width, height).region ?? raw.region;
}

/** Stage 1 from the file's bytes (already read). */
export async function decodeBase(
  buf: Buffer,
  src: SampleSource,
  opts: FaceOptions,
  issues?: Issues,
): Promise<BaseImage> {
  return decoding(src.path, async () => {
    const short = resizeShortSide(opts.size);
    // Whole image: sharp sizes it from the header itself, saving a metadata pass (hot path).
    if ((opts.crop === 'none' || !src.box) && !(opts.crop === 'align' && src.landmarks)) {
      return sharpRaw(
        sharp(buf, SHARP_INPUT)
          .rotate()
          .resize(short, short, { fit: 'outside' })
          .flatten({ background: BLACK })
          .toColourspace('srgb'),
      );
    }
    if (opts.crop === 'align' && src.landmarks) {
      if (landmarksUsable(src.landmarks)) return alignFace(buf, src.landmarks, opts.size);
      issues?.add('bad-landmarks', src.path);
    }
    const meta = await sharp(buf, SHARP_INPUT).metadata();
    const width = meta.autoOrient?.width ?? meta.width;
    const height = meta.autoOrient?.height ?? meta.height;
    if (!width || !height) throw new DataError('corrupt-image', `${src.path}: no dimensions`);
    const region = faceRegion(src, width, height, opts, (kind, detail) => issues?.add(kind, detail));
    const dims = shortSideDims(region.width, region.height, short);
    const out = await sharpRaw(
      sharp(buf, SHARP_INPUT)
        .rotate()
        .extract(region)
        .resize(dims.width, dims.height, { fit: 'fill' })
        .flatten({ background: BLACK })
        .toColourspace('srgb'),
    );
    return { data: out.data, width: out.width, height: out.height };
  });
}

/**
 * Align a face so that its 5 points land on the size×size template: sharp decodes (any format,
 * EXIF-oriented), the native resampler aligns, as for the JPEGs the native decoder takes itself
 * (decode-plans.ts), so both give the same pixels.
 */
async function alignFace(buf: Buffer, landmarks: ArrayLike<number>, size: number): Promise<BaseImage> {
  const img = await sharpRaw(sharp(buf, SHARP_INPUT).rotate().flatten({ background: BLACK }).toColourspace('srgb'));
  const face = Buffer.alloc(size * size * 3);
  const spec: DecodeSpec = {
    data: img.data,
    kind: 'raw',
    width: img.width,
    height: img.height,
    region: [0, 0, img.width, img.height],
    resized: [size, size],
    crop: [0, 0],
    flip: false,
    gray: false,
    align: alignPlan(landmarks, img.width, img.height, size),
  };
  const [failed] = await native().decodeBatch([spec], face, size);
  if (failed) throw new Error(failed);
  return { data: face, width: size, height: size };
}

/** Apply a similarity to an RGB image and return the window [0, outW)×[0, outH), black outside. */
async function warp(src: BaseImage, t: Similarity, outW: number, outH: number): Promise<BaseImage> {
  const plan = sharpAffinePlan(t, src.width, src.height);
  const res = await sharpRaw(
    sharp(src.data, { raw: { width: src.width, height: src.height, channels: 3 } }).affine(plan.matrix, {
      odx: plan.odx,
      ody: plan.ody,
      background: BLACK,
      interpolator: 'bilinear',
    }),
  );
  const out = Buffer.alloc(outW * outH * 3);
  // Row copies (memcpy) of the window's overlap with sharp's output; the rest stays black.
  const x0 = Math.max(0, plan.left);
  const x1 = Math.min(res.width, plan.left + outW);
  for (let y = 0; y < outH && x1 > x0; y++) {
    const sy = plan.top + y;
    if (sy < 0 || sy >= res.height) continue;
    res.data.copy(out, (y * outW + (x0 - plan.left)) * 3, (sy * res.width + x0) * 3, (sy * res.width + x1) * 3);
  }
  return { data: out, width: outW, height: outH };
}

/** Brightness and contrast as one linear map v → gain·v + bias (contrast pivots on 128). */
export function linearTone(p: AugmentParams): { gain: number; bias: number } {
  return { gain: p.brightness * p.contrast, bias: 128 * (1 - p.contrast) };
}

/**
 * Stage 2: augment a base image and write size×size×3 bytes into out at byteOffset.
 * Scale/rotation act about the image centre, before the crop.
 */
export async function renderInto(
  base: BaseImage,
  size: number,
  p: AugmentParams,
  out: Buffer,
  byteOffset: number,
): Promise<void> {
  let img = base;
  if (p.scale !== 1 || p.angle !== 0) {
    const th = (p.angle * Math.PI) / 180;
    const a = p.scale * Math.cos(th);
    const b = -p.scale * Math.sin(th); // counter-clockwise on screen (y down)
    const cx = base.width / 2;
    const cy = base.height / 2;
    img = await warp(base, { a, b, tx: cx - (a * cx - b * cy), ty: cy - (b * cx + a * cy) }, base.width, base.height);
  }
  const o = cropOrigin(img.width, img.height, size, p.crop);
  let s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).extract({
    left: o.left,
    top: o.top,
    width: size,
    height: size,
  });
  if (p.flip) s = s.flop();
  if (p.brightness !== 1 || p.contrast !== 1) {
    const { gain, bias } = linearTone(p);
    s = s.linear(gain, bias);
  }
  if (p.saturation !== 1) s = s.modulate({ saturation: p.saturation });
  if (p.gray) s = s.recomb(GRAY);
  const res = await sharpRaw(s);
  if (res.width !== size || res.height !== size) throw new Error(`renderInto: got ${res.width}×${res.height}`);
  res.data.copy(out, byteOffset);
}
