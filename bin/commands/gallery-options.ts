/** What `enroll` and `search` share: the model, the gallery opened for it, and the embedding flags. */
import { Issues } from '../../lib/data/issues';
import { embedDataset, withWeights } from '../../lib/eval/embed';
import type { Dataset } from '../../lib/data/types';
import { loadForEval } from '../../lib/eval/load-model';
import type { Argv } from 'yargs';
import { describeGalleryWeights, Gallery, type SearchPrecision } from '../../lib/gallery';
import type { Model } from '../../lib/model';
import { inputSize } from './common-flags';
import type { EmbeddingArgs } from './embedding-options';

export interface GalleryArgs extends EmbeddingArgs {
  weights: string;
  gallery: string;
  precision?: SearchPrecision;
}

/** --precision of the commands that search (search, serve). */
export function precisionOption<T>(y: Argv<T>) {
  return y.option('precision', {
    choices: ['fp32', 'bf16'] as const,
    default: 'fp32' as const,
    describe: "Exact search's matrix product: fp32, or bf16 (faster; its top candidates re-scored in fp32)",
  });
}

export interface Opened {
  model: Model;
  gallery: Gallery;
  metadata: Record<string, string>;
}

/** Loads the weights and opens the gallery made with them (`create`: a new one when absent). */
export async function openWithModel(a: GalleryArgs, create: boolean): Promise<Opened> {
  const { model, metadata } = await loadForEval(a.weights, { device: a.device, inputSize: inputSize(a) });
  try {
    const weights = await describeGalleryWeights(a.weights, model, a.output);
    return { model, metadata, gallery: await Gallery.open(a.gallery, { create, weights, precision: a.precision }) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/** Unit embeddings of a dataset's usable images, with their dataset indices. */
export async function embedForGallery(model: Model, ds: Dataset, a: GalleryArgs, issues: Issues) {
  const e = await withWeights(a.weights, () =>
    embedDataset(model, ds, {
      size: inputSize(a),
      crop: a.crop,
      noFace: a['if-no-face'],
      batchSize: a.batch,
      flip: a.flip,
      output: a.output,
      issues,
      onProgress: (n) => process.stderr.isTTY && process.stderr.write(`\r  embedded ${n} of ${ds.size} images`),
    }),
  );
  if (process.stderr.isTTY) process.stderr.write('\n');
  const rows = Array.from(e.indices, (_, r) => e.data.slice(r * e.dim, (r + 1) * e.dim));
  return { rows, indices: e.indices, labels: e.labels };
}
