/**
 * BatchNorm folded into the layer before it (inference: running statistics), in float64 and
 * rounded once to fp32: W' = W·s per output channel, b' = (b − mean)·s + β, s = γ/√(var + ε).
 */

/** LibTorch's BatchNorm default, which our models never change. */
export const BATCH_NORM_EPS = 1e-5;

export interface BatchNormTensors {
  weight: Float32Array;
  bias: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
}

/**
 * `weight` has one row of `weight.length / outChannels` values per output channel (a conv's
 * [out, in, kh, kw] or a Linear's [out, in]); `bias` is the layer's own, if it has one.
 */
export function foldBatchNorm(
  weight: Float32Array,
  bias: Float32Array | undefined,
  bn: BatchNormTensors,
  eps = BATCH_NORM_EPS,
): { weight: Float32Array; bias: Float32Array } {
  const out = bn.weight.length;
  if (weight.length % out !== 0)
    throw new Error(`BatchNorm of ${out} channels does not fit a weight of ${weight.length} values`);
  const row = weight.length / out;
  const w = new Float32Array(weight.length);
  const b = new Float32Array(out);
  for (let c = 0; c < out; c++) {
    const s = bn.weight[c] / Math.sqrt(bn.runningVar[c] + eps);
    for (let k = c * row; k < (c + 1) * row; k++) w[k] = weight[k] * s;
    b[c] = ((bias ? bias[c] : 0) - bn.runningMean[c]) * s + bn.bias[c];
  }
  return { weight: w, bias: b };
}
