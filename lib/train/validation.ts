/**
 * Closed-set validation: top-1 / top-5 of the classifier on held-out images (centre crop, no
 * augmentation), and a verification score on pairs of them (cosine of the embeddings, every pair
 * of the first VERIFY_IMAGES images: same identity = genuine).
 */
import type { Dataset } from '../data/types';
import { auc, eer, roc } from '../eval/metrics';
import { forEachBatchOutput } from '../eval/embed';
import { l2NormalizeRows, dot } from '../eval/vectors';
import type { FaceOptions } from '../data/transform';
import type { Issues } from '../data/issues';
import type { MemoryCache } from '../data/memory-cache';
import type { Model } from '../model';

export interface Verification {
  auc: number;
  eer: number;
  pairs: number;
}

export interface Accuracy {
  top1: number;
  top5: number;
  images: number;
  /** Undefined when the held-out images give no genuine or no impostor pair. */
  verification?: Verification;
}

/** Pairs grow with the square of the images: 1,000 images are ~500k pairs, about a second. */
export const VERIFY_IMAGES = 1000;

/** AUC and EER of cosine similarity over every pair of rows of `features` (n × dim; normalised here). */
export function pairVerification(
  features: Float32Array,
  labels: ArrayLike<number>,
  dim: number,
): Verification | undefined {
  const n = labels.length;
  l2NormalizeRows(features, dim);
  const pairs = (n * (n - 1)) / 2;
  const scores = new Float64Array(pairs);
  const same = new Uint8Array(pairs);
  let k = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++, k++) {
      scores[k] = dot(features, i, features, j, dim);
      same[k] = labels[i] === labels[j] ? 1 : 0;
    }
  }
  const genuine = same.reduce((a, b) => a + b, 0);
  if (genuine === 0 || genuine === pairs) return undefined;
  const r = roc(scores, same);
  return { auc: auc(r), eer: eer(r).eer, pairs };
}

/** Counts of true labels among the top-1 and top-k logits of each row of a [n, classes] array. */
export function topkHits(
  logits: Float32Array,
  labels: ArrayLike<number>,
  classes: number,
  k = 5,
): { top1: number; topk: number } {
  let top1 = 0;
  let topk = 0;
  const kk = Math.min(k, classes);
  for (let i = 0; i < labels.length; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    const target = row[labels[i]];
    // Rank of the target: how many classes score strictly higher (ties count in its favour).
    let above = 0;
    for (let c = 0; c < classes && above < kk; c++) if (row[c] > target) above++;
    if (above === 0) top1++;
    if (above < kk) topk++;
  }
  return { top1, topk };
}

export interface ValidateOptions {
  /** Images decoded at once by sharp (the loader's default when undefined). */
  concurrency?: number;
  /** The run's decoded images (validation decodes its images once, not at every evaluation). */
  memoryCache?: MemoryCache;
}

export async function heldOutAccuracy(
  model: Model,
  dataset: Dataset,
  face: FaceOptions,
  batchSize: number,
  issues: Issues,
  o: ValidateOptions = {},
): Promise<Accuracy> {
  const classes = model.config.numClasses;
  let top1 = 0;
  let top5 = 0;
  let images = 0;
  const kept = Math.min(VERIFY_IMAGES, dataset.size);
  let dim = 0;
  let features = new Float32Array(0);
  const keptLabels = new Int32Array(kept);
  const forward = { ...face, batchSize, issues, concurrency: o.concurrency, memoryCache: o.memoryCache };
  await forEachBatchOutput(model, dataset, forward, (batch, { vectors, logits }) => {
    if (!dim) {
      dim = vectors.length / batch.n;
      features = new Float32Array(kept * dim);
    }
    const take = Math.max(0, Math.min(batch.n, kept - images));
    features.set(vectors.subarray(0, take * dim), images * dim);
    keptLabels.set(batch.labels.subarray(0, take), images);
    const hits = topkHits(logits, batch.labels, classes, 5);
    top1 += hits.top1;
    top5 += hits.topk;
    images += batch.n;
  });
  const n = Math.min(images, kept);
  const verification =
    n > 1 ? pairVerification(features.subarray(0, n * dim), keptLabels.subarray(0, n), dim) : undefined;
  return { top1: images ? top1 / images : 0, top5: images ? top5 / images : 0, images, verification };
}
