/**
 * `--crop detect`: a dataset of raw photos seen through face detection. Each photo's largest face
 * (or every face, `allFaces`) becomes a sample with its 5 detected points, so the data pipeline
 * aligns it to the template exactly as it aligns VGGFace2's annotated landmarks (crop 'align').
 * A photo without a face is skipped and counted ('no-face'), or with noFace 'center' kept whole
 * (the centre crop).
 */
import { Issues } from '../data/issues';
import type { Dataset, SampleSource } from '../data/types';
import { detectFaces, type DetectOptions } from './detect';

export type NoFace = 'skip' | 'center';

export interface DetectDatasetOptions extends Omit<DetectOptions, 'issues' | 'landmarks'> {
  noFace?: NoFace;
  allFaces?: boolean;
  issues?: Issues;
  onProgress?: (done: number) => void;
}

export class DetectedDataset implements Dataset {
  readonly kind: Dataset['kind'];
  readonly description: string;
  readonly classes: readonly string[];
  readonly labels: Int32Array;
  readonly size: number;

  constructor(
    readonly parent: Dataset,
    /** Parent sample of each sample. */
    readonly parentIndex: Int32Array,
    /** The 5 points of each sample's face (undefined: no face, used whole). */
    readonly points: (number[] | undefined)[],
    /** Each sample's face box x, y, w, h (undefined: no face). */
    readonly boxes: (number[] | undefined)[],
  ) {
    this.kind = parent.kind;
    this.classes = parent.classes;
    this.size = parentIndex.length;
    this.labels = Int32Array.from(parentIndex, (p) => parent.labels[p]);
    this.description = `${parent.description} (faces detected: ${this.size} samples)`;
  }

  relPath(i: number): string {
    return this.parent.relPath(this.parentIndex[i]);
  }

  source(i: number): SampleSource {
    const s = this.parent.source(this.parentIndex[i]);
    const b = this.boxes[i];
    return {
      path: s.path,
      label: s.label,
      landmarks: this.points[i],
      box: b && { x: b[0], y: b[1], w: b[2], h: b[3] },
    };
  }
}

/** Detects the faces of every image of `ds` (in batches, in parallel natively). */
export async function detectDataset(ds: Dataset, o: DetectDatasetOptions = {}): Promise<DetectedDataset> {
  const issues = o.issues ?? new Issues();
  const parentIndex: number[] = [];
  const points: (number[] | undefined)[] = [];
  const boxes: (number[] | undefined)[] = [];
  const chunk = 64;
  for (let start = 0; start < ds.size; start += chunk) {
    const idx = Array.from({ length: Math.min(chunk, ds.size - start) }, (_, k) => start + k);
    const found = await detectFaces(
      idx.map((i) => ds.source(i).path),
      { ...o, issues },
    );
    found.forEach((r, k) => {
      if (!r) return; // unreadable: counted by detectFaces
      const faces = o.allFaces ? r.faces : r.faces.slice(0, 1); // largest first
      if (faces.length === 0) {
        // Used whole as asked: not a problem to count (strict issues would make it an error).
        if (o.noFace === 'center') {
          parentIndex.push(idx[k]);
          points.push(undefined);
          boxes.push(undefined);
        } else issues.add('no-face', r.path);
        return;
      }
      for (const f of faces) {
        parentIndex.push(idx[k]);
        points.push(f.points);
        boxes.push(f.box);
      }
    });
    o.onProgress?.(start + idx.length);
  }
  return new DetectedDataset(ds, Int32Array.from(parentIndex), points, boxes);
}
