/** Loose boxes and 5-point landmarks from VGGFace2-format CSVs, matched to dataset samples by NAME_ID. */
import { eachCsvRow, num } from './csv';
import { Issues } from './issues';
import type { Box } from './types';

/** NAME_ID of a listed path: `n000001/0001_01.jpg` → `n000001/0001_01`. */
export function nameId(relPath: string): string {
  const slash = relPath.lastIndexOf('/');
  const dot = relPath.lastIndexOf('.');
  return dot > slash ? relPath.slice(0, dot) : relPath;
}

/** Per-sample boxes (x, y, w, h) and landmarks (10 floats), NaN where unknown. */
export class Annotations {
  boxes?: Float32Array;
  landmarks?: Float32Array;
  /** How many samples got a box / landmarks from the files (the rest have none). */
  boxCount = 0;
  landmarkCount = 0;

  box(i: number): Box | undefined {
    const b = this.boxes;
    if (!b || Number.isNaN(b[4 * i])) return undefined;
    return { x: b[4 * i], y: b[4 * i + 1], w: b[4 * i + 2], h: b[4 * i + 3] };
  }

  landmarksOf(i: number): Float32Array | undefined {
    const l = this.landmarks;
    if (!l || Number.isNaN(l[10 * i])) return undefined;
    return l.subarray(10 * i, 10 * i + 10);
  }
}

/**
 * Finds the sample index of a NAME_ID. The official CSVs list samples in list order, so a cursor
 * guess almost always hits; a name→index map is built only on the first miss.
 */
class NameMatcher {
  private cursor = 0;
  private map?: Map<string, number>;
  constructor(
    private readonly size: number,
    private readonly relPath: (i: number) => string,
  ) {}

  find(name: string): number | undefined {
    if (this.cursor < this.size && nameId(this.relPath(this.cursor)) === name) return this.cursor++;
    if (!this.map) {
      this.map = new Map();
      for (let i = 0; i < this.size; i++) this.map.set(nameId(this.relPath(i)), i);
    }
    const i = this.map.get(name);
    if (i !== undefined) this.cursor = i + 1;
    return i;
  }
}

/** Header columns of the VGGFace2 box and landmark CSVs; read by name, in any order. */
export const BOX_COLUMNS = ['NAME_ID', 'X', 'Y', 'W', 'H'] as const;
export const LANDMARK_COLUMNS = ['NAME_ID', ...[1, 2, 3, 4, 5].flatMap((p) => [`P${p}X`, `P${p}Y`])] as const;

/**
 * Largest box coordinate or size taken as real: JPEG and sharp stop at 65535 pixels a side, and
 * a larger value (1e308 becomes Infinity in a Float32Array) can only be a broken file.
 */
export const MAX_BOX_COORD = 65535;

/** Why a box is unusable, or undefined when it is a finite, non-empty box of sane size. */
export function boxProblem(v: readonly number[]): string | undefined {
  if (!v.every(Number.isFinite)) return 'non-numeric box';
  if (v.some((x) => Math.abs(x) > MAX_BOX_COORD)) return `box value beyond ±${MAX_BOX_COORD} pixels`;
  if (v[2] <= 0 || v[3] <= 0) return 'empty box (W or H ≤ 0)';
  return undefined;
}

/**
 * Read `NAME_ID,X,Y,W,H` and `NAME_ID,P1X,P1Y,...,P5Y` files (columns by header name) into
 * per-sample arrays. Rows naming samples not in the dataset are ignored (the CSVs cover the whole
 * split, datasets may be subsets); unusable boxes, NaN/degenerate landmarks and second rows for
 * the same NAME_ID are counted (an error under strict) and the first row wins. A file with no
 * header or no rows is an error.
 */
export function loadAnnotations(
  size: number,
  relPath: (i: number) => string,
  files: { boxes?: string; landmarks?: string },
  issues: Issues,
): Annotations {
  const ann = new Annotations();
  if (files.boxes) {
    const file = files.boxes;
    const boxes = new Float32Array(4 * size).fill(NaN);
    const m = new NameMatcher(size, relPath);
    let matched = 0;
    const { rows } = eachCsvRow(file, issues, BOX_COLUMNS, (f, line) => {
      const i = m.find(f[0]);
      if (i === undefined) return;
      const v = [num(f[1]), num(f[2]), num(f[3]), num(f[4])];
      const problem = boxProblem(v);
      if (problem) {
        issues.add(
          problem.startsWith('empty') ? 'box-outside' : 'malformed-line',
          `${file}:${line}: ${problem} ${f.slice(1).join(',')}`,
        );
        return;
      }
      if (!Number.isNaN(boxes[4 * i])) {
        issues.add('duplicate', `${file}:${line}: second box row for ${f[0]} (the first one is used)`);
        return;
      }
      boxes.set(v, 4 * i);
      matched++;
    });
    if (rows === 0) throw new Error(`${file}: no box rows below the header; give one NAME_ID,X,Y,W,H row per image`);
    ann.boxes = boxes;
    ann.boxCount = matched;
  }
  if (files.landmarks) {
    const file = files.landmarks;
    const lms = new Float32Array(10 * size).fill(NaN);
    const m = new NameMatcher(size, relPath);
    let matched = 0;
    const { rows } = eachCsvRow(file, issues, LANDMARK_COLUMNS, (f, line) => {
      const i = m.find(f[0]);
      if (i === undefined) return;
      const v = f.slice(1, 11).map(num);
      if (!landmarksUsable(v) || v.some((x) => Math.abs(x) > MAX_BOX_COORD)) {
        issues.add('bad-landmarks', `${file}:${line}`);
        return;
      }
      if (!Number.isNaN(lms[10 * i])) {
        issues.add('duplicate', `${file}:${line}: second landmark row for ${f[0]} (the first one is used)`);
        return;
      }
      lms.set(v, 10 * i);
      matched++;
    });
    if (rows === 0)
      throw new Error(
        `${file}: no landmark rows below the header; give one ${LANDMARK_COLUMNS.join(',')} row per image`,
      );
    ann.landmarks = lms;
    ann.landmarkCount = matched;
  }
  return ann;
}

/** Finite, and not collapsed: the eyes must be apart and the points must span some area. */
export function landmarksUsable(v: ArrayLike<number>): boolean {
  for (let k = 0; k < 10; k++) if (!Number.isFinite(v[k])) return false;
  const eyeDist = Math.hypot(v[2] - v[0], v[3] - v[1]);
  const eyeMouth = Math.hypot((v[6] + v[8] - v[0] - v[2]) / 2, (v[7] + v[9] - v[1] - v[3]) / 2);
  return eyeDist >= 1 && eyeMouth >= 1;
}
