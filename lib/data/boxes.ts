/** Loose-box geometry of the VGGFace2 paper: extend, clamp, shorter side to 256·size/224, crop. */
import type { Box } from './types';

/** Integer pixel region of an image. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** The paper enlarges the loose box by 0.3 (w and h × 1.3), keeping its centre. */
export const DEFAULT_BOX_EXTEND = 0.3;

export function extendBox(b: Box, extend = DEFAULT_BOX_EXTEND): Box {
  const w = b.w * (1 + extend);
  const h = b.h * (1 + extend);
  return { x: b.x + b.w / 2 - w / 2, y: b.y + b.h / 2 - h / 2, w, h };
}

/**
 * Round a box to pixels and clamp it to a width×height image. `inside` says whether the
 * unclamped box already fitted; undefined region when nothing of it is inside the image.
 */
export function clampBox(b: Box, width: number, height: number): { region?: Region; inside: boolean } {
  const l = Math.round(b.x);
  const t = Math.round(b.y);
  const r = Math.round(b.x + b.w);
  const btm = Math.round(b.y + b.h);
  const inside = l >= 0 && t >= 0 && r <= width && btm <= height;
  const L = Math.max(0, l);
  const T = Math.max(0, t);
  const R = Math.min(width, r);
  const B = Math.min(height, btm);
  if (R - L < 1 || B - T < 1) return { inside: false };
  return { region: { left: L, top: T, width: R - L, height: B - T }, inside };
}

/** Shorter side the crop is resized to before the size×size crop: 256 for 224 (torchvision's size*256//224). */
export function resizeShortSide(size: number): number {
  return Math.floor((size * 256) / 224);
}

/** Dimensions after scaling so that the shorter side becomes `short` (never below it). */
export function shortSideDims(width: number, height: number, short: number): { width: number; height: number } {
  if (width <= height) return { width: short, height: Math.max(short, Math.round((height * short) / width)) };
  return { width: Math.max(short, Math.round((width * short) / height)), height: short };
}

/**
 * Top-left corner of a size×size crop of a width×height image: random from fractions u, v in
 * [0, 1) (training), or centred (evaluation, torchvision's CenterCrop rounding).
 */
export function cropOrigin(
  width: number,
  height: number,
  size: number,
  uv?: [number, number],
): { left: number; top: number } {
  if (width < size || height < size) throw new Error(`crop ${size} larger than image ${width}×${height}`);
  if (uv) return { left: Math.floor(uv[0] * (width - size + 1)), top: Math.floor(uv[1] * (height - size + 1)) };
  return { left: Math.round((width - size) / 2), top: Math.round((height - size) / 2) };
}
