/**
 * The Trainer's data: the dataset it names (demo data made on first use, VGGFace2 root, image
 * folder or LMDB cache), the closed-set split, the face settings (from the cache when it has them).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MOBILEFACENET_INPUT } from '../archs';
import { closedSetSplit, effectiveCrop, openDataset } from '../data/dataset';
import { CacheDataset } from '../data/cache';
import { writeDemoDataset } from '../data/demo';
import { Issues } from '../data/issues';
import type { FaceOptions } from '../data/transform';
import type { CropMode, Dataset } from '../data/types';
import type { TrainConfig } from './config';

export const DEMO_DATA_VERSION = 'demo-v1';

export function defaultDemoDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'vgg2-torch', DEMO_DATA_VERSION);
}

/** Writes the demo dataset into `dir` unless it is there; a half-written one is never taken for it. */
export async function ensureDemoData(dir: string, log: (m: string) => void): Promise<void> {
  if (fs.existsSync(path.join(dir, 'meta', 'identity_meta.csv'))) return;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.partial-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  log(`making demo data in ${dir} (once)`);
  await writeDemoDataset({ out: tmp });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

export interface TrainData {
  dataset: Dataset;
  train: Dataset;
  /** Held-out images of the training identities, or undefined without validation. */
  val?: Dataset;
  face: Required<FaceOptions>;
  source: string;
}

export async function openTrainData(c: TrainConfig, issues: Issues, log: (m: string) => void): Promise<TrainData> {
  let source: string;
  if (c.demo) {
    source = c.demoDir ?? defaultDemoDir();
    await ensureDemoData(source, log);
  } else source = (c.cache ?? c.data)!;
  const dataset = openDataset({ data: source, images: c.images, split: 'train', issues, cache: !c.demo && !!c.cache });
  log(`data: ${dataset.description}`);
  const cached = dataset instanceof CacheDataset ? dataset.meta.settings : undefined;
  const face: Required<FaceOptions> = {
    crop: (c.crop ?? cached?.crop ?? 'loose') as CropMode,
    // MobileFaceNet takes 112 px faces only; the ResNets default to the paper's 224.
    size: c.inputSize ?? cached?.size ?? (c.arch === 'mobilefacenet' ? MOBILEFACENET_INPUT : 224),
    boxExtend: c.boxExtend ?? cached?.boxExtend ?? 0.3,
  };
  const used = effectiveCrop(dataset, face.crop);
  if (used.note) log(used.note);
  face.crop = used.crop;
  if (c.holdoutPerClass === 0) return { dataset, train: dataset, face, source };
  const { train, test } = closedSetSplit(dataset, c.holdoutPerClass, c.splitSeed ?? c.seed);
  log(`split: ${train.description}; validation: ${test.size} images`);
  return { dataset, train, val: test.size > 0 ? test : undefined, face, source };
}

/** Inverse-frequency weights N / (C · n_c), 0 for classes without images. */
export function inverseFrequencyWeights(labels: Int32Array, classes: number): Float32Array {
  const counts = new Float64Array(classes);
  for (const l of labels) counts[l]++;
  const present = counts.filter((n) => n > 0).length;
  return Float32Array.from(counts, (n) => (n > 0 ? labels.length / (present * n) : 0));
}
