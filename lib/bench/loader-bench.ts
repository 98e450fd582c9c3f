/**
 * Throughput of the data loader — the same work as ../shared/reference/loader_bench.py (decode,
 * resize the shorter side to size·256/224, random size×size crop, flip, gray with p = 0.2):
 * training batches of uint8 NHWC from an image folder or a prepared cache, counted from the end of
 * 3 warm-up batches until the batch is ready (normalisation happens on the device, in the core).
 */
import * as os from 'os';
import { CacheDataset } from '../data/cache';
import { ImageFolderDataset } from '../data/image-folder';
import { Issues } from '../data/issues';
import { Loader } from '../data/loader';
import type { CropMode, Dataset } from '../data/types';

export interface LoaderBenchOptions {
  /** An image folder (one sub-folder per identity)... */
  data?: string;
  /** ...or a cache made by `vgg2-torch prepare`. */
  cache?: string;
  size: number;
  batch: number;
  /** Native decoding threads (default: every core). */
  workers?: number;
  decoder?: 'native' | 'sharp';
  /** Timed batches, after 3 warm-up ones (as the reference). */
  batches: number;
  seed?: number;
}

export interface LoaderBenchResult {
  impl: 'vgg2-torch-loader';
  decoder: 'native' | 'sharp';
  source: 'files' | 'cache-raw' | 'cache-jpeg';
  images: number;
  size: number;
  batch: number;
  workers: number;
  /** Images in the timed batches (after warm-up) and the seconds they took. */
  timed_images: number;
  seconds: number;
  img_per_s: number;
}

const WARMUP = 3;

export async function benchLoader(o: LoaderBenchOptions): Promise<LoaderBenchResult> {
  if (!o.data === !o.cache) throw new Error('give exactly one of --data (image folder) or --cache (prepared cache)');
  const issues = new Issues();
  let dataset: Dataset;
  let crop: CropMode = 'none';
  let source: LoaderBenchResult['source'] = 'files';
  if (o.cache) {
    const cache = new CacheDataset(o.cache);
    dataset = cache;
    crop = cache.meta.settings.crop;
    source = cache.meta.settings.encoding === 'raw' ? 'cache-raw' : 'cache-jpeg';
  } else {
    dataset = new ImageFolderDataset({ root: o.data!, issues });
  }
  try {
    const loader = new Loader(dataset, {
      crop,
      size: o.size,
      batchSize: o.batch,
      train: true,
      seed: o.seed ?? 0,
      epochs: Infinity,
      decoder: o.decoder,
      decodeThreads: o.workers,
      issues,
    });
    let seen = 0;
    let images = 0;
    let t0 = 0;
    for await (const b of loader) {
      seen++;
      if (seen === WARMUP) t0 = performance.now();
      else if (seen > WARMUP) images += b.n;
      loader.release(b);
      if (seen >= o.batches + WARMUP) break;
    }
    const seconds = (performance.now() - t0) / 1000;
    await loader.close();
    return {
      impl: 'vgg2-torch-loader',
      decoder: loader.decoder,
      source,
      images: dataset.size,
      size: o.size,
      batch: o.batch,
      workers: o.workers ?? os.availableParallelism(),
      timed_images: images,
      seconds: Math.round(seconds * 1e6) / 1e6,
      img_per_s: Math.round((images / seconds) * 10) / 10,
    };
  } finally {
    if (dataset instanceof CacheDataset) await dataset.close();
  }
}
