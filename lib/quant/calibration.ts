/**
 * Calibration batches for static int8: up to N real face images from a folder (one sub-folder per
 * person, a flat folder of images, a VGGFace2 root or a cache), spread evenly over the set so that
 * every identity region is seen, decoded and cropped as evaluation does (centre crop, no
 * augmentation) at the model's input size. Images that do not decode are counted and skipped;
 * none usable is an error.
 */
import * as fs from 'fs';
import * as path from 'path';
import { openDataset, Subset } from '../data/dataset';
import { Issues } from '../data/issues';
import { Loader } from '../data/loader';
import { sniffFile } from '../data/magic';
import type { CropMode, Dataset } from '../data/types';
import { ImageListDataset } from '../eval/image-list';

/** One batch at the model's input size, as forward() takes it: uint8 NHWC RGB (or normalised float32 NCHW). */
export interface CalibrationBatch {
  data: Uint8Array | Float32Array;
  shape: number[];
}

export interface CalibrationOptions {
  /** Input side in pixels (the model's inputSize). */
  size: number;
  /** Images to use (default 64, PyTorch's tutorials use a few hundred at most). */
  images?: number;
  crop?: CropMode;
  batchSize?: number;
  issues?: Issues;
}

export interface CalibrationSet {
  batches: CalibrationBatch[];
  /** Images in the batches. */
  images: number;
  /** Chosen images that could not be used (undecodable, missing...). */
  skipped: number;
  description: string;
  /** The folder given, or the Dataset's description. */
  source: string;
}

/** A folder with sub-folders is a dataset; a flat folder is a list of its image files. */
export function openCalibrationSource(dir: string, issues: Issues): Dataset {
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  if (!st) throw new Error(`${dir}: no such file or directory (calibration images)`);
  if (st.isDirectory()) {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
    if (!entries.some((e) => e.isDirectory())) {
      const images: string[] = [];
      for (const e of entries.filter((e) => e.isFile()).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const file = path.join(dir, e.name);
        if (sniffFile(file).format) images.push(file);
        else issues.add('not-image', file);
      }
      if (!images.length) throw new Error(`${dir}: no images to calibrate with`);
      return new ImageListDataset(images, dir);
    }
  }
  return openDataset({ data: dir, split: 'train', issues });
}

/** `count` sample indices spread evenly over `size` (all of them when count >= size). */
export function spreadIndices(size: number, count: number): Int32Array {
  if (count >= size) return Int32Array.from({ length: size }, (_, i) => i);
  return Int32Array.from({ length: count }, (_, i) => Math.floor(((i + 0.5) * size) / count));
}

export async function calibrationBatches(source: string | Dataset, o: CalibrationOptions): Promise<CalibrationSet> {
  const issues = o.issues ?? new Issues();
  const wanted = o.images ?? 64;
  if (!Number.isInteger(wanted) || wanted < 1) throw new RangeError(`calibration images must be >= 1, got ${wanted}`);
  const all = typeof source === 'string' ? openCalibrationSource(source, issues) : source;
  const chosen = new Subset(all, spreadIndices(all.size, wanted), 'calibration images');
  const before = issues.count();
  const loader = new Loader(chosen, {
    size: o.size,
    crop: o.crop ?? 'loose',
    batchSize: o.batchSize ?? 32,
    train: false,
    issues,
  });
  const batches: CalibrationBatch[] = [];
  let images = 0;
  try {
    for await (const batch of loader) {
      try {
        // A copy: the loader takes its buffer back.
        const bytes = batch.n * batch.size * batch.size * 3;
        batches.push({
          data: Uint8Array.from(batch.data.subarray(0, bytes)),
          shape: [batch.n, batch.size, batch.size, 3],
        });
        images += batch.n;
      } finally {
        loader.release(batch);
      }
    }
  } finally {
    await loader.close(); // a strict run's error leaves no decodes running behind it
  }
  if (images === 0)
    throw new Error(
      `${all.description}: none of the ${chosen.size} calibration images could be used (${issues.count() - before} problems; see the warnings)`,
    );
  return {
    batches,
    images,
    skipped: chosen.size - images,
    description: all.description,
    source: typeof source === 'string' ? source : all.description,
  };
}
