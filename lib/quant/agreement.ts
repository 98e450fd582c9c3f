/**
 * How closely a quantized model follows the model it came from on the same images: the cosine of
 * their embeddings (the embedding layer when there is one, else the pooled features) and how often
 * their top-1 classes agree.
 */
import type { Model } from '../model';
import type { CalibrationBatch } from './calibration';

export interface Agreement {
  images: number;
  meanCosine: number;
  minCosine: number;
  top1Agreement: number;
}

function rowsCosine(a: Float32Array, b: Float32Array, n: number, out: number[]): void {
  const dim = a.length / n;
  for (let r = 0; r < n; r++) {
    let dot = 0,
      na = 0,
      nb = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) {
      dot += a[j] * b[j];
      na += a[j] * a[j];
      nb += b[j] * b[j];
    }
    out.push(dot / Math.sqrt(na * nb || 1));
  }
}

function argmaxRows(logits: Float32Array, n: number): number[] {
  const c = logits.length / n;
  return Array.from({ length: n }, (_, r) => {
    let best = 0;
    for (let j = 1; j < c; j++) if (logits[r * c + j] > logits[r * c + best]) best = j;
    return best;
  });
}

export async function agreement(reference: Model, candidate: Model, batches: CalibrationBatch[]): Promise<Agreement> {
  const cosines: number[] = [];
  let same = 0;
  for (const b of batches) {
    const [x, y] = [await reference.forward(b.data, b.shape), await candidate.forward(b.data, b.shape)];
    rowsCosine(x.embedding ?? x.features, y.embedding ?? y.features, b.shape[0], cosines);
    const [p, q] = [argmaxRows(x.logits, b.shape[0]), argmaxRows(y.logits, b.shape[0])];
    same += p.filter((v, i) => v === q[i]).length;
  }
  const n = cosines.length;
  return {
    images: n,
    meanCosine: cosines.reduce((s, v) => s + v, 0) / Math.max(n, 1),
    minCosine: n ? Math.min(...cosines) : NaN,
    top1Agreement: same / Math.max(n, 1),
  };
}
