/** Opening any dataset (VGGFace2 root, prepared cache, image folder) and closed/open-set splits. */
import * as fs from 'fs';
import * as path from 'path';
import { CacheDataset, hasLmdbMagic, isCachePath } from './cache';
import { ImageFolderDataset } from './image-folder';
import { Issues } from './issues';
import { Rng } from './rng';
import type { CropMode, Dataset, SampleSource } from './types';
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
  /** Image folders only: every image below it, flat or not, as one class (no labels). */
  unlabelled?: boolean;
}

/** Recognise what `data` is; `dataset.description` says which was chosen. */
export function openDataset(opts: OpenOptions): Dataset {
  const issues = opts.issues ?? new Issues();
  // A file that is plainly not a cache (a photo, a list): say what --data expects rather than why it is no LMDB.
  const st = fs.statSync(opts.data, { throwIfNoEntry: false });
  if (!opts.cache && st?.isFile() && st.size > 0 && !hasLmdbMagic(opts.data))
    throw new Error(
      `${opts.data}: is a file; expected a folder with one sub-folder of images per person, a VGGFace2 root, or a cache made by vgg2-torch prepare (this file is none of them)`,
    );
  if (opts.cache || isCachePath(opts.data)) return new CacheDataset(opts.data, issues);
  if (isVggFace2Root(opts.data) && !opts.unlabelled)
    return new VggFace2Dataset({
      root: opts.data,
      images: opts.images,
      split: opts.split,
      onlyExisting: opts.onlyExisting,
      issues,
    });
  // An image folder's own boxes.csv / landmarks.csv (NAME_ID = path below the root without
  // extension) are its face boxes unless others are given: the documented way to give boxes.
  const own = (name: string) => {
    const f = path.join(opts.data, name);
    return fs.existsSync(f) ? f : undefined;
  };
  return new ImageFolderDataset({
    root: opts.data,
    boxes: opts.boxes ?? own(FOLDER_BOXES),
    landmarks: opts.landmarks ?? own(FOLDER_LANDMARKS),
    issues,
    unlabelled: opts.unlabelled,
  });
}

/** File names an image folder's root may hold its face boxes and landmarks in. */
export const FOLDER_BOXES = 'boxes.csv';
export const FOLDER_LANDMARKS = 'landmarks.csv';

/**
 * How many samples of a dataset read from files have a face box (the rest fall back to the
 * whole picture under crop 'loose'); undefined for a cache, whose crops were made by prepare.
 */
export function faceBoxCount(ds: Dataset): { withBox: number; total: number } | undefined {
  if (ds instanceof VggFace2Dataset || ds instanceof ImageFolderDataset)
    return { withBox: ds.annotations.boxCount, total: ds.size };
  return undefined;
}

/**
 * The crop actually used: 'loose' with no box for any image is the whole picture, so it is
 * recorded as 'none' (config.json then says what the model saw). A note says so once, with the
 * count, and how to give boxes.
 */
export function effectiveCrop(ds: Dataset, crop: CropMode): { crop: CropMode; note?: string } {
  const n = crop === 'loose' ? faceBoxCount(ds) : undefined;
  if (!n || n.withBox === n.total) return { crop };
  const how =
    ds instanceof ImageFolderDataset
      ? `put a ${FOLDER_BOXES} (header NAME_ID,X,Y,W,H; NAME_ID = path below the folder without extension) in ${ds.root}`
      : 'restore bb_landmark/loose_bb_train.csv';
  if (n.withBox === 0)
    return {
      crop: 'none',
      note: `crop loose: none of the ${n.total} images has a face box, so the whole picture is used (recorded as crop "none"); for face crops ${how}, or crop the photos to faces first`,
    };
  return {
    crop,
    note: `crop loose: ${n.total - n.withBox} of ${n.total} images have no face box and use the whole picture; ${how}`,
  };
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
    // Held out by path, not by index: samples of one file (a dataset that lists it twice) all go
    // to the same side, so no image can be both trained on and tested.
    const byPath = new Map<string, number>();
    const firsts: number[] = [];
    for (const i of members) {
      const p = ds.relPath(i);
      if (!byPath.has(p)) {
        byPath.set(p, i);
        firsts.push(i);
      }
    }
    if (firsts.length <= perClass) {
      train.push(...members);
      return;
    }
    const shuffled = new Rng(seed, c, 0x5b1).shuffle(firsts);
    const held = new Set(shuffled.slice(0, perClass));
    for (const i of members) (held.has(byPath.get(ds.relPath(i))!) ? test : train).push(i);
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
