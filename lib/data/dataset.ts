/** Opening any dataset (VGGFace2 root, prepared cache, image folder) and closed/open-set splits. */
import { CacheDataset, isCachePath } from './cache';
import { ImageFolderDataset } from './image-folder';
import { Issues } from './issues';
import { Rng } from './rng';
import type { Dataset, SampleSource } from './types';
import { isVggFace2Root, VggFace2Dataset, type Split } from './vggface2';

export interface OpenOptions {
  /** VGGFace2 root, image folder, or a cache made by `prepare`. */
  data: string;
  /** VGGFace2 only: folder of the split's identity folders, when not `<data>/<split>`. */
  images?: string;
  /** VGGFace2 only (default 'train'). */
  split?: Split;
  /** VGGFace2 only: keep listed files that exist (partial copies). */
  onlyExisting?: boolean;
  /** Image folders only: optional VGGFace2-format box / landmark CSVs. */
  boxes?: string;
  landmarks?: string;
  issues?: Issues;
  /** `data` must be a cache (train --cache): checked as one even when it looks like a folder. */
  cache?: boolean;
}

/** Recognise what `data` is; `dataset.description` says which was chosen. */
export function openDataset(opts: OpenOptions): Dataset {
  const issues = opts.issues ?? new Issues();
  if (opts.cache || isCachePath(opts.data)) return new CacheDataset(opts.data, issues);
  if (isVggFace2Root(opts.data))
    return new VggFace2Dataset({
      root: opts.data,
      images: opts.images,
      split: opts.split,
      onlyExisting: opts.onlyExisting,
      issues,
    });
  return new ImageFolderDataset({ root: opts.data, boxes: opts.boxes, landmarks: opts.landmarks, issues });
}

/**
 * A subset of a dataset, optionally with its identities relabelled to 0..k−1 (open-set splits:
 * the held-out identities form their own label space).
 */
export class Subset implements Dataset {
  readonly kind: Dataset['kind'];
  readonly description: string;
  readonly classes: readonly string[];
  readonly labels: Int32Array;
  readonly size: number;
  private readonly remap?: Int32Array;

  constructor(
    readonly parent: Dataset,
    readonly indices: Int32Array,
    name: string,
    keepClasses?: readonly number[],
  ) {
    this.kind = parent.kind;
    this.size = indices.length;
    if (keepClasses) {
      this.remap = new Int32Array(parent.classes.length).fill(-1);
      keepClasses.forEach((c, k) => (this.remap![c] = k));
      this.classes = keepClasses.map((c) => parent.classes[c]);
    } else this.classes = parent.classes;
    this.labels = new Int32Array(indices.length);
    indices.forEach((p, i) => {
      const l = this.remap ? this.remap[parent.labels[p]] : parent.labels[p];
      if (l < 0) throw new Error(`Subset: sample ${p} has an identity outside the subset's classes`);
      this.labels[i] = l;
    });
    this.description = `${name} of ${parent.description}: ${this.size} images, ${this.classes.length} identities`;
  }

  relPath(i: number): string {
    return this.parent.relPath(this.indices[i]);
  }

  source(i: number): SampleSource {
    return { ...this.parent.source(this.indices[i]), label: this.labels[i] };
  }

  /** Index in the parent dataset (what a cache is keyed by). */
  parentIndex(i: number): number {
    return this.indices[i];
  }
}

function byClass(ds: Dataset): number[][] {
  const groups: number[][] = ds.classes.map(() => []);
  ds.labels.forEach((l, i) => groups[l].push(i));
  return groups;
}

/**
 * Closed set: from every identity, `perClass` images (chosen with the seed) go to the test part;
 * identities with at most `perClass` images stay whole in training. Labels are unchanged.
 */
export function closedSetSplit(ds: Dataset, perClass: number, seed = 0): { train: Subset; test: Subset } {
  const train: number[] = [];
  const test: number[] = [];
  byClass(ds).forEach((members, c) => {
    if (members.length <= perClass) {
      train.push(...members);
      return;
    }
    const shuffled = new Rng(seed, c, 0x5b1).shuffle(members.slice());
    const held = new Set(shuffled.slice(0, perClass));
    for (const i of members) (held.has(i) ? test : train).push(i);
  });
  return {
    train: new Subset(ds, Int32Array.from(train), `closed-set train (${perClass}/identity held out, seed ${seed})`),
    test: new Subset(ds, Int32Array.from(test), `closed-set test (${perClass}/identity, seed ${seed})`),
  };
}

/**
 * Open set: `heldOut` identities (chosen with the seed) and all their images form the test
 * part; both parts get their own 0-based label spaces, in the parent's class order.
 */
export function openSetSplit(ds: Dataset, heldOut: number, seed = 0): { train: Subset; test: Subset } {
  const groups = byClass(ds);
  if (heldOut < 1 || heldOut >= groups.length)
    throw new Error(`open-set split: held-out identities must be in 1..${groups.length - 1}`);
  const order = new Rng(seed, 0x0be5).shuffle(groups.map((_, c) => c));
  const testSet = new Set(order.slice(0, heldOut));
  const testClasses = groups.map((_, c) => c).filter((c) => testSet.has(c));
  const trainClasses = groups.map((_, c) => c).filter((c) => !testSet.has(c));
  const pick = (cs: number[]) => Int32Array.from(cs.flatMap((c) => groups[c]).sort((a, b) => a - b));
  return {
    train: new Subset(ds, pick(trainClasses), `open-set train (seed ${seed})`, trainClasses),
    test: new Subset(
      ds,
      pick(testClasses),
      `open-set test (${heldOut} identities held out, seed ${seed})`,
      testClasses,
    ),
  };
}
