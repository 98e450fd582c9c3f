/** Closed-set classification: top-1 / top-5 of the model's classifier on held-out images of its training identities. */
import { Issues } from '../../data/issues';
import type { CropMode, Dataset } from '../../data/types';
import { checkInputSize, type Model } from '../../model';
import { forEachBatchOutput } from '../embed';
import type { ProtocolResult } from './types';

/** Model class index of each dataset label: by name when the model knows its class names, else identity. */
export function classMapping(model: Model, dataset: Dataset): Int32Array {
  const { numClasses, classNames } = model.describe();
  if (classNames) {
    const index = new Map(classNames.map((c, k) => [c, k]));
    const missing = dataset.classes.filter((c) => !index.has(c));
    if (missing.length)
      throw new Error(
        `classify: ${missing.length} identities of the data are not among the model's classes, e.g. ${missing.slice(0, 5).join(', ')}`,
      );
    return Int32Array.from(dataset.classes, (c) => index.get(c)!);
  }
  if (numClasses !== dataset.classes.length) {
    throw new Error(
      `classify: the model has ${numClasses} classes and no class names, the data ${dataset.classes.length} identities`,
    );
  }
  return Int32Array.from(dataset.classes, (_, k) => k);
}

export interface ClassifyOptions {
  size?: number;
  crop?: CropMode;
  batchSize?: number;
  issues?: Issues;
  /** Ranks to report in the top-k curve (default 10). */
  maxRank?: number;
}

export async function classifyProtocol(
  model: Model,
  dataset: Dataset,
  opts: ClassifyOptions = {},
): Promise<ProtocolResult> {
  const target = classMapping(model, dataset);
  const size = checkInputSize(opts.size ?? model.inputSize, 'size');
  const classes = model.describe().numClasses;
  const maxRank = Math.min(opts.maxRank ?? 10, classes);
  const hits = new Float64Array(maxRank);
  let n = 0;
  const forward = { batchSize: opts.batchSize ?? 32, crop: opts.crop ?? 'loose', size, issues: opts.issues };
  await forEachBatchOutput(model, dataset, forward, (b, { logits }) => {
    for (let i = 0; i < b.n; i++) {
      const row = logits.subarray(i * classes, (i + 1) * classes);
      const t = row[target[b.labels[i]]];
      let rank = 1; // ties counted against the image
      for (let c = 0; c < classes; c++) if (c !== target[b.labels[i]] && row[c] >= t) rank++;
      if (rank <= maxRank) hits[rank - 1]++;
    }
    n += b.n;
  });
  if (n === 0) throw new Error(`classify: no usable image in ${dataset.description}`);
  for (let k = 1; k < maxRank; k++) hits[k] += hits[k - 1];
  const curve = Array.from(hits, (h) => h / n);
  return {
    protocol: 'classify',
    data: dataset.description,
    metrics: {
      images: n,
      classes: dataset.classes.length,
      top1: curve[0],
      top5: curve[Math.min(5, maxRank) - 1],
      topk: curve,
    },
    folds: [],
    plots: { cmc: curve },
  };
}
