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

/**
 * Read `NAME_ID,X,Y,W,H` and `NAME_ID,P1X,P1Y,...,P5Y` files into per-sample arrays. Rows naming
 * samples not in the dataset are ignored (the CSVs cover the whole split, datasets may be subsets);
 * degenerate boxes and NaN/degenerate landmarks are counted and left unknown.
 */
export function loadAnnotations(
  size: number,
  relPath: (i: number) => string,
  files: { boxes?: string; landmarks?: string },
  issues: Issues,
): Annotations {
  const ann = new Annotations();
  if (files.boxes) {
    const boxes = new Float32Array(4 * size).fill(NaN);
    const m = new NameMatcher(size, relPath);
    eachCsvRow(files.boxes, issues, 5, (f, line) => {
      const i = m.find(f[0]);
      if (i === undefined) return;
      const v = [num(f[1]), num(f[2]), num(f[3]), num(f[4])];
      if (!v.every(Number.isFinite)) {
        issues.add('malformed-line', `${files.boxes}:${line}: non-numeric box`);
        return;
      }
      if (v[2] <= 0 || v[3] <= 0) {
        issues.add('box-outside', `${files.boxes}:${line}: empty box ${v.join(',')}`);
        return;
      }
      boxes.set(v, 4 * i);
    });
    ann.boxes = boxes;
  }
  if (files.landmarks) {
    const lms = new Float32Array(10 * size).fill(NaN);
    const m = new NameMatcher(size, relPath);
    eachCsvRow(files.landmarks, issues, 11, (f, line) => {
      const i = m.find(f[0]);
      if (i === undefined) return;
      const v = f.slice(1, 11).map(num);
      if (!landmarksUsable(v)) {
        issues.add('bad-landmarks', `${files.landmarks}:${line}`);
        return;
      }
      lms.set(v, 10 * i);
    });
    ann.landmarks = lms;
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
