/**
 * What every architecture's graph builder shares: the model's tensors by name (fp32 only), its
 * BatchNorms, the options and outputs of a network graph, and the head — the embedding as embed()
 * returns it (L2-normalised) and the classifier (plain, or a margin loss's s·cos θ).
 */
import type { SafetensorsArray } from '../io/safetensors';
import type { Tensors } from '../io/model-tensors';
import type { LossType } from '../native';
import type { Variant } from '../model';
import { foldBatchNorm, type BatchNormTensors } from './fold';
import type { GraphBuilder } from './graph';

export type { Tensors };

export interface NetworkGraphOptions {
  variant: Variant;
  loss: LossType;
  /** s of a cosine classifier (arcface, cosface). */
  marginScale: number;
}

/** The names of the graph's outputs. */
export interface NetworkGraph {
  logits: string;
  features: string;
  embedding: string;
  /** Sizes of the three outputs' second dimension. */
  numClasses: number;
  featureDim: number;
  embeddingDim: number;
}

export function tensor(tensors: Tensors, name: string): SafetensorsArray & { data: Float32Array } {
  const t = tensors.get(name);
  if (!t) throw new Error(`the model has no tensor '${name}'`);
  if (t.dtype !== 'F32') throw new Error(`tensor '${name}' is ${t.dtype}, not F32: export the fp32 model`);
  return t as SafetensorsArray & { data: Float32Array };
}

export function batchNorm(tensors: Tensors, prefix: string): BatchNormTensors {
  return {
    weight: tensor(tensors, `${prefix}.weight`).data,
    bias: tensor(tensors, `${prefix}.bias`).data,
    runningMean: tensor(tensors, `${prefix}.running_mean`).data,
    runningVar: tensor(tensors, `${prefix}.running_var`).data,
  };
}

/**
 * The embedding layer (Linear, with or without a bias, + BatchNorm1d) folded into one Gemm on
 * `features`; its output and size.
 */
export function embeddingLayer(g: GraphBuilder, tensors: Tensors, features: string): { head: string; dim: number } {
  const w = tensor(tensors, 'embedding.0.weight');
  const bias = tensors.has('embedding.0.bias') ? tensor(tensors, 'embedding.0.bias').data : undefined;
  const folded = foldBatchNorm(w.data, bias, batchNorm(tensors, 'embedding.1'));
  const dim = w.shape[0];
  const head = g.node(
    'Gemm',
    [
      features,
      g.constant('embedding.weight', w.shape, folded.weight),
      g.constant('embedding.bias', [dim], folded.bias),
    ],
    'embedding.projected',
    { transB: 1 },
  );
  return { head, dim };
}

/**
 * From `head` (the embedding layer's output, else the pooled features) to the normalised
 * embedding and the logits, as native/losses/classifier_loss.cc computes them.
 */
export function classifierHead(
  g: GraphBuilder,
  tensors: Tensors,
  head: string,
  o: NetworkGraphOptions,
): { embedding: string; logits: string; numClasses: number } {
  const fc = tensor(tensors, 'fc.weight');
  const numClasses = fc.shape[0];
  const embedding = g.node('LpNormalization', [head], 'embedding', { axis: 1, p: 2 });
  if (o.loss === 'arcface' || o.loss === 'cosface') {
    // A cosine classifier: s · normalise(x) · normalise(W)ᵀ, no bias; W is normalised and scaled by s here, once.
    const row = fc.shape[1];
    const w = new Float32Array(fc.data.length);
    for (let c = 0; c < numClasses; c++) {
      let sum = 0;
      for (let k = c * row; k < (c + 1) * row; k++) sum += fc.data[k] * fc.data[k];
      const scale = o.marginScale / Math.max(Math.sqrt(sum), 1e-12);
      for (let k = c * row; k < (c + 1) * row; k++) w[k] = fc.data[k] * scale;
    }
    const logits = g.node('Gemm', [embedding, g.constant('fc.weight', fc.shape, w)], 'logits', { transB: 1 });
    return { embedding, logits, numClasses };
  }
  const b = tensor(tensors, 'fc.bias');
  const logits = g.node(
    'Gemm',
    [head, g.constant('fc.weight', fc.shape, fc.data), g.constant('fc.bias', b.shape, b.data)],
    'logits',
    { transB: 1 },
  );
  return { embedding, logits, numClasses };
}
