/**
 * Choosing and cutting channels: how much a conv's output channels matter, which of them stay, and
 * a tensor with only those along one dimension.
 */
import type { SafetensorsArray } from '../io/safetensors';

/**
 * bn: |γ| of the BatchNorm after the conv — a channel it scales to nothing carries nothing
 * (Liu et al. 2017, network slimming); l1: the L1 norm of the conv's filter (Li et al. 2017).
 */
export type PruneCriterion = 'bn' | 'l1';

export const PRUNE_CRITERIA: readonly PruneCriterion[] = ['bn', 'l1'];

/** One score per output channel of a conv weight [out, in, kh, kw] (l1), or of its BatchNorm's γ (bn). */
export function channelScores(criterion: PruneCriterion, convWeight: Float32Array, out: number, gamma: Float32Array) {
  const scores = new Float64Array(out);
  if (criterion === 'bn') {
    for (let c = 0; c < out; c++) scores[c] = Math.abs(gamma[c]);
    return scores;
  }
  const per = convWeight.length / out;
  for (let c = 0; c < out; c++) {
    let sum = 0;
    for (let k = c * per; k < (c + 1) * per; k++) sum += Math.abs(convWeight[k]);
    scores[c] = sum;
  }
  return scores;
}

/** The `keep` highest-scoring channels, in their original order (ties: the lower index stays). */
export function keptChannels(scores: Float64Array, keep: number): number[] {
  const order = [...scores.keys()].sort((a, b) => scores[b] - scores[a] || a - b);
  return order.slice(0, keep).sort((a, b) => a - b);
}

/** `t` with only the `indices` along dimension `dim` (0 or 1), in a new array. */
export function selectChannels(t: SafetensorsArray, dim: 0 | 1, indices: number[]): SafetensorsArray {
  const shape = [...t.shape];
  const outer = dim === 0 ? 1 : shape[0];
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const from = shape[dim];
  shape[dim] = indices.length;
  const Ctor = t.data.constructor as new (n: number) => SafetensorsArray['data'];
  const data = new Ctor(outer * indices.length * inner);
  for (let o = 0; o < outer; o++) {
    indices.forEach((c, j) => {
      const src = (o * from + c) * inner;
      data.set(t.data.subarray(src, src + inner) as never, (o * indices.length + j) * inner);
    });
  }
  return { dtype: t.dtype, shape, data };
}
