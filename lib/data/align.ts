/** 5-point face alignment: least-squares similarity (Umeyama, no reflection) onto the ArcFace template. */

/** The usual 112×112 template: left eye, right eye, nose tip, left and right mouth corners. */
export const TEMPLATE_112: readonly number[] = [
  38.2946, 51.6963, 73.5318, 51.5014, 56.0252, 71.7366, 41.5493, 92.3655, 70.7299, 92.2041,
];

/** The template scaled to a size×size output. */
export function templateFor(size: number): number[] {
  return TEMPLATE_112.map((v) => (v * size) / 112);
}

/** x' = a·x − b·y + tx, y' = b·x + a·y + ty (uniform scale √(a²+b²), rotation atan2(b, a)). */
export interface Similarity {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

/**
 * Least-squares similarity mapping src points onto dst points (flat [x0, y0, x1, y1, ...]).
 * In 2-D, Umeyama's SVD solution without reflection reduces to this closed form.
 */
export function umeyama(src: ArrayLike<number>, dst: ArrayLike<number>): Similarity {
  const n = src.length / 2;
  if (n < 2 || dst.length !== src.length) throw new Error('umeyama: need ≥ 2 matching points');
  let msx = 0,
    msy = 0,
    mdx = 0,
    mdy = 0;
  for (let k = 0; k < n; k++) {
    msx += src[2 * k] / n;
    msy += src[2 * k + 1] / n;
    mdx += dst[2 * k] / n;
    mdy += dst[2 * k + 1] / n;
  }
  let ss = 0,
    dot = 0,
    cross = 0;
  for (let k = 0; k < n; k++) {
    const sx = src[2 * k] - msx,
      sy = src[2 * k + 1] - msy;
    const dx = dst[2 * k] - mdx,
      dy = dst[2 * k + 1] - mdy;
    ss += sx * sx + sy * sy;
    dot += sx * dx + sy * dy;
    cross += sx * dy - sy * dx;
  }
  if (ss < 1e-9) throw new Error('umeyama: source points coincide');
  const a = dot / ss;
  const b = cross / ss;
  return { a, b, tx: mdx - (a * msx - b * msy), ty: mdy - (b * msx + a * msy) };
}

export function applySimilarity(t: Similarity, pts: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let k = 0; k < pts.length; k += 2)
    out.push(t.a * pts[k] - t.b * pts[k + 1] + t.tx, t.b * pts[k] + t.a * pts[k + 1] + t.ty);
  return out;
}

/**
 * How the native resampler (native/jpeg/similarity_warp.cc) aligns a width×height image whose 5
 * points are `landmarks` to the size×size template: a face much bigger than the template (scale
 * < 0.75) is first shrunk as a whole to `pre` with antialiased lanczos3, so that the bilinear
 * warp that follows does not alias; `similarity` [a, b, tx, ty] maps the (shrunk) image's pixels
 * onto the face. Every decoder's pixels go through it (docs/loader.md).
 */
export function alignPlan(
  landmarks: ArrayLike<number>,
  width: number,
  height: number,
  size: number,
): { similarity: [number, number, number, number]; pre?: [number, number] } {
  const dst = templateFor(size);
  const t = umeyama(landmarks, dst);
  const scale = Math.hypot(t.a, t.b);
  if (scale >= 0.75) return { similarity: [t.a, t.b, t.tx, t.ty] };
  const w = Math.max(1, Math.round(width * scale * 1.25));
  const h = Math.max(1, Math.round(height * scale * 1.25));
  // Pixel centres are at integers: index i maps to (i + 0.5)·k − 0.5.
  const pts = Array.from(landmarks, (v, k) => (k % 2 === 0 ? ((v + 0.5) * w) / width : ((v + 0.5) * h) / height) - 0.5);
  const u = umeyama(pts, dst);
  return { similarity: [u.a, u.b, u.tx, u.ty], pre: [w, h] };
}

/**
 * Parameters for sharp's affine() realising a similarity, and where its output window [0, size)²
 * lands in sharp's output. libvips sizes the output to the bounding box of the linearly
 * transformed input, with origin floor(min corner), and odx/ody shift content inside it; so we
 * pass only the fractional part of the translation and locate the window by the integer part.
 * The window may stick out of sharp's output (face near the border): the caller pads.
 */
export function sharpAffinePlan(
  t: Similarity,
  width: number,
  height: number,
): { matrix: [number, number, number, number]; odx: number; ody: number; left: number; top: number } {
  let minX = Infinity;
  let minY = Infinity;
  for (const [x, y] of [
    [0, 0],
    [width, 0],
    [0, height],
    [width, height],
  ]) {
    minX = Math.min(minX, t.a * x - t.b * y);
    minY = Math.min(minY, t.b * x + t.a * y);
  }
  const ix = Math.floor(t.tx);
  const iy = Math.floor(t.ty);
  return {
    matrix: [t.a, -t.b, t.b, t.a],
    odx: t.tx - ix,
    ody: t.ty - iy,
    left: -Math.floor(minX + 0.5) - ix,
    top: -Math.floor(minY + 0.5) - iy,
  };
}
