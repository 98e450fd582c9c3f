/** Closed-set validation: top-1 / top-5 of the classifier on held-out images (centre crop, no augmentation). */
import type { Dataset } from '../data/types';
import { Loader } from '../data/loader';
import type { FaceOptions } from '../data/transform';
import type { Issues } from '../data/issues';
import type { Model } from '../model';

export interface Accuracy {
  top1: number;
  top5: number;
  images: number;
}

/** Counts of true labels among the top-1 and top-k logits of each row of a [n, classes] array. */
export function topkHits(logits: Float32Array, labels: ArrayLike<number>, classes: number, k = 5): { top1: number; topk: number } {
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

export async function evaluate(model: Model, dataset: Dataset, face: FaceOptions, batchSize: number, issues: Issues, concurrency?: number): Promise<Accuracy> {
  const loader = new Loader(dataset, { ...face, batchSize, train: false, issues, concurrency });
  const classes = model.config.numClasses;
  let top1 = 0;
  let top5 = 0;
  let images = 0;
  const stride = face.size * face.size * 3;
  for await (const batch of loader) {
    try {
      const out = await model.forward(batch.data.subarray(0, batch.n * stride), [batch.n, face.size, face.size, 3]);
      const hits = topkHits(out.logits, batch.labels, classes, 5);
      top1 += hits.top1;
      top5 += hits.topk;
      images += batch.n;
    } finally {
      loader.release(batch);
    }
  }
  return { top1: images ? top1 / images : 0, top5: images ? top5 / images : 0, images };
}
