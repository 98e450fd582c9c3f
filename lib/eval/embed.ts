/**
 * Embeddings: a model's pooled features (or its D-dim embedding layer), L2-normalised, optionally
 * with flip test-time augmentation (the sum of the original and the mirrored image's vectors),
 * computed batch by batch from the Loader in evaluation mode (centre crop, no augmentation).
 */
import sharp from 'sharp';
import { Issues } from '../data/issues';
import { MAX_INPUT_PIXELS } from '../data/jpeg-header';
import { pixelLimitText } from '../data/transform';
import { Loader, type LoaderOptions } from '../data/loader';
import type { Batch, CropMode, Dataset } from '../data/types';
import { checkInputSize, type Model } from '../model';
import { l2NormalizeRows } from './vectors';
import { detectDataset, type NoFace } from '../detect/detected-dataset';

export type EmbeddingOutput = 'features' | 'embedding';

export interface EmbedOptions {
  /** Input side in pixels; default the model's input size. */
  size?: number;
  /**
   * Face crop (default 'loose': the loose box when known, else the whole image); 'detect': find the
   * face in each raw photo (dlib) and align its 5 points (lib/detect/detected-dataset.ts).
   */
  crop?: CropMode | 'detect';
  /** With crop 'detect': a photo without a face is skipped (default) or used whole ('center'). */
  noFace?: NoFace;
  /** With crop 'detect': every face of a photo, not only the largest (rows repeat the photo's index). */
  allFaces?: boolean;
  batchSize?: number;
  /** Add the mirrored image's vector to each (before normalising). */
  flip?: boolean;
  /** Default: 'embedding' when the model has one, else the pooled 'features'. */
  output?: EmbeddingOutput;
  issues?: Issues;
  /** Called after each batch with the images done so far. */
  onProgress?: (done: number) => void;
}

export interface Embeddings {
  /** rows × dim, unit rows. */
  data: Float32Array;
  dim: number;
  /** Dataset sample index of each row (unusable images are skipped and counted in `issues`). */
  indices: Int32Array;
  labels: Int32Array;
}

/** One uint8 NHWC batch of n images of side `size`. */
export interface PixelBatch {
  data: Uint8Array;
  n: number;
  size: number;
}

export function resolveOutput(model: Model, output?: EmbeddingOutput): EmbeddingOutput {
  const hasEmbedding = model.describe().embeddingDim > 0;
  if (output === 'embedding' && !hasEmbedding)
    throw new Error('this model has no embedding layer: use output "features"');
  return output ?? (hasEmbedding ? 'embedding' : 'features');
}

/** Mirror every image of a batch left–right into `out` (3-byte pixels; small next to the forward pass). */
export function mirrorBatch(b: PixelBatch, out: Uint8Array): void {
  const row = b.size * 3;
  for (let r = 0; r < b.n * b.size; r++) {
    const o = r * row;
    for (let x = 0; x < b.size; x++) {
      const s = o + x * 3;
      const d = o + row - 3 - x * 3;
      out[d] = b.data[s];
      out[d + 1] = b.data[s + 1];
      out[d + 2] = b.data[s + 2];
    }
  }
}

/** One batch's outputs: unnormalised vectors (flip: plus those of the mirror images) and the logits. */
export interface BatchOutputs {
  vectors: Float32Array;
  logits: Float32Array;
}

export async function embedBatch(
  model: Model,
  b: PixelBatch,
  output: EmbeddingOutput,
  flip: boolean,
  scratch?: Uint8Array,
): Promise<BatchOutputs> {
  const shape = [b.n, b.size, b.size, 3];
  const x = b.data.subarray(0, b.n * b.size * b.size * 3);
  const pick = (o: { features: Float32Array; embedding?: Float32Array }) =>
    output === 'embedding' ? o.embedding! : o.features;
  const first = await model.forward(x, shape);
  const vectors = Float32Array.from(pick(first));
  if (flip) {
    const m = scratch && scratch.length >= x.length ? scratch.subarray(0, x.length) : new Uint8Array(x.length);
    mirrorBatch({ ...b, data: x }, m);
    const w = pick(await model.forward(m, shape));
    for (let i = 0; i < vectors.length; i++) vectors[i] += w[i];
  }
  checkFinite(vectors);
  checkFinite(first.logits);
  return { vectors, logits: first.logits };
}

/**
 * Non-finite outputs come from non-finite weights (a diverged run), or from finite weights whose
 * BatchNorm statistics overflow in evaluation mode (a few steps with tiny batches blow up the
 * running statistics while the training loss, normalised per batch, stays finite): every similarity would be NaN
 * and every comparison false, which metrics read as perfect or as zero. Refused, never scored.
 * The commands prefix the weights file (`withWeights`).
 */
export class NonFiniteOutputError extends Error {
  constructor() {
    super(
      'the model outputs NaN or infinite values: its weights are not finite (a diverged training run?) or its ' +
        'BatchNorm statistics overflow (a run of a few steps with tiny batches); use an earlier checkpoint, ' +
        'or retrain with a lower --lr or a larger --batch-size',
    );
  }
}

function checkFinite(v: Float32Array): void {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new NonFiniteOutputError();
}

/** Runs `work`; an error about the model's outputs gets the weights file's name in front. */
export async function withWeights<T>(weights: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof NonFiniteOutputError) throw new Error(`${weights}: ${e.message}`, { cause: e });
    throw e;
  }
}

export interface ForwardOptions extends Omit<LoaderOptions, 'train'> {
  output?: EmbeddingOutput;
  flip?: boolean;
}

/**
 * The evaluation loop: every usable image of a dataset through the model in evaluation mode (centre
 * crop, no augmentation), in dataset order. `use` sees each batch and its outputs before the loader
 * takes the batch's buffer back.
 */
export async function forEachBatchOutput(
  model: Model,
  dataset: Dataset,
  o: ForwardOptions,
  use: (batch: Batch, out: BatchOutputs) => void,
): Promise<void> {
  const output = resolveOutput(model, o.output);
  const flip = o.flip ?? false;
  const loader = new Loader(dataset, { ...o, train: false });
  const scratch = flip ? new Uint8Array(o.batchSize * o.size * o.size * 3) : undefined;
  try {
    for await (const batch of loader) {
      try {
        use(batch, await embedBatch(model, batch, output, flip, scratch));
      } finally {
        loader.release(batch);
      }
    }
  } finally {
    await loader.close(); // on an error, the batches decoding ahead finish before it propagates
  }
}

/** Concatenates per-batch vectors and normalises the rows. */
class Collector {
  private parts: Float32Array[] = [];
  private rows = 0;
  dim = 0;
  add(v: Float32Array, n: number): void {
    this.dim = v.length / n;
    this.parts.push(v);
    this.rows += n;
  }
  finish(): Float32Array {
    const out = new Float32Array(this.rows * this.dim);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return l2NormalizeRows(out, this.dim);
  }
}

/** Embeds every usable image of a dataset, in dataset order. */
export async function embedDataset(model: Model, dataset: Dataset, opts: EmbedOptions = {}): Promise<Embeddings> {
  if (opts.crop === 'detect') {
    const issues = opts.issues ?? new Issues();
    const faces = await detectDataset(dataset, { noFace: opts.noFace, allFaces: opts.allFaces, issues });
    if (faces.size === 0) throw new Error(`${dataset.description}: no face found in any image`);
    const e = await embedDataset(model, faces, { ...opts, crop: 'align', issues });
    // Rows name the caller's samples, not the detected faces.
    return { ...e, indices: Int32Array.from(e.indices, (i) => faces.parentIndex[i]) };
  }
  const out = new Collector();
  const indices: number[] = [];
  const labels: number[] = [];
  const { output, flip, issues } = opts;
  const size = checkInputSize(opts.size ?? model.inputSize, 'size');
  const forward = { size, batchSize: opts.batchSize ?? 32, crop: opts.crop ?? 'loose', output, flip, issues };
  await forEachBatchOutput(model, dataset, forward, (batch, { vectors }) => {
    out.add(vectors, batch.n);
    indices.push(...batch.indices);
    labels.push(...batch.labels);
    opts.onProgress?.(indices.length);
  });
  if (indices.length === 0) throw new Error(`${dataset.description}: no usable image to embed`);
  return { data: out.finish(), dim: out.dim, indices: Int32Array.from(indices), labels: Int32Array.from(labels) };
}

/**
 * Embeds encoded images held in memory (insightface .bin files: aligned 112×112 faces), resized
 * to the input size; an undecodable image is an error naming its position.
 */
export async function embedEncoded(
  model: Model,
  images: Uint8Array[],
  what: string,
  opts: EmbedOptions = {},
): Promise<Embeddings> {
  const output = resolveOutput(model, opts.output);
  const size = checkInputSize(opts.size ?? model.inputSize, 'size');
  const batchSize = opts.batchSize ?? 32;
  const stride = size * size * 3;
  const data = new Uint8Array(batchSize * stride);
  const scratch = opts.flip ? new Uint8Array(batchSize * stride) : undefined;
  const out = new Collector();
  for (let start = 0; start < images.length; start += batchSize) {
    const n = Math.min(batchSize, images.length - start);
    await Promise.all(
      Array.from({ length: n }, async (_, k) => {
        try {
          const px = await sharp(images[start + k], { failOn: 'truncated', limitInputPixels: MAX_INPUT_PIXELS })
            .rotate()
            .resize(size, size, { fit: 'cover' })
            .removeAlpha()
            .toColourspace('srgb')
            .raw()
            .toBuffer();
          if (px.length !== stride) throw new Error(`decoded to ${px.length} bytes, expected ${stride} (RGB)`);
          data.set(px, k * stride);
        } catch (e) {
          throw new Error(`${what}: image ${start + k} cannot be decoded: ${pixelLimitText((e as Error).message)}`, {
            cause: e,
          });
        }
      }),
    );
    out.add((await embedBatch(model, { data, n, size }, output, opts.flip ?? false, scratch)).vectors, n);
    opts.onProgress?.(start + n);
  }
  const indices = Int32Array.from(images.keys());
  return { data: out.finish(), dim: out.dim, indices, labels: new Int32Array(images.length) };
}

/** Row of each dataset index in an Embeddings (−1 when the image was unusable). */
export function rowOf(e: Embeddings, datasetSize: number): Int32Array {
  const rows = new Int32Array(datasetSize).fill(-1);
  e.indices.forEach((idx, r) => (rows[idx] = r));
  return rows;
}
