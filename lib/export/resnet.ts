/**
 * The ResNet family (resnet50, senet50; torchvision and caffe variants) as ONNX nodes, built by
 * walking the model's tensors by name: blocks are found as `layerN.M.*`, channels and kernels are
 * read from the weight shapes, and BatchNorm is folded into the conv or Linear before it. The
 * forward is native/models/resnet.cc, bottleneck.cc and se_layer.cc, node for node.
 */
import type { SafetensorsArray } from '../io/safetensors';
import type { LossType } from '../native';
import type { Variant } from '../model';
import { foldBatchNorm, type BatchNormTensors } from './fold';
import type { GraphBuilder } from './graph';

export interface ResNetGraphOptions {
  variant: Variant;
  loss: LossType;
  /** s of a cosine classifier (arcface, cosface). */
  marginScale: number;
}

/** The names of the graph's outputs. */
export interface ResNetGraphOutputs {
  logits: string;
  features: string;
  embedding: string;
  /** Sizes of the three outputs' second dimension. */
  numClasses: number;
  featureDim: number;
  embeddingDim: number;
}

type Tensors = Map<string, SafetensorsArray>;

function tensor(tensors: Tensors, name: string): SafetensorsArray & { data: Float32Array } {
  const t = tensors.get(name);
  if (!t) throw new Error(`the model has no tensor '${name}'`);
  if (t.dtype !== 'F32') throw new Error(`tensor '${name}' is ${t.dtype}, not F32: export the fp32 model`);
  return t as SafetensorsArray & { data: Float32Array };
}

function batchNorm(tensors: Tensors, prefix: string): BatchNormTensors {
  return {
    weight: tensor(tensors, `${prefix}.weight`).data,
    bias: tensor(tensors, `${prefix}.bias`).data,
    runningMean: tensor(tensors, `${prefix}.running_mean`).data,
    runningVar: tensor(tensors, `${prefix}.running_var`).data,
  };
}

/**
 * The network from `input` (the normalised NCHW batch) to its three outputs. Nodes and constants
 * are named by the module path they come from (`layer2.0.conv1`), as ONNX viewers show them.
 */
export function buildResNet(
  g: GraphBuilder,
  tensors: Tensors,
  input: string,
  o: ResNetGraphOptions,
): ResNetGraphOutputs {
  // Conv + BatchNorm folded into one Conv (kernel from the weight, padding kernel/2 as our convs).
  const convBn = (x: string, conv: string, bn: string, stride: number, name = conv): string => {
    const w = tensor(tensors, `${conv}.weight`);
    const [, , kh, kw] = w.shape;
    const folded = foldBatchNorm(w.data, undefined, batchNorm(tensors, bn));
    const pads = [kh >> 1, kw >> 1, kh >> 1, kw >> 1];
    const wName = g.constant(`${name}.weight`, w.shape, folded.weight);
    const bName = g.constant(`${name}.bias`, [w.shape[0]], folded.bias);
    return g.node('Conv', [x, wName, bName], name, { kernel_shape: [kh, kw], strides: [stride, stride], pads });
  };
  // A Linear as a 1x1 Conv on [N, C, 1, 1]: the SE gate stays 4-D, so no Reshape depends on the batch size.
  const linearAsConv = (x: string, prefix: string): string => {
    const w = tensor(tensors, `${prefix}.weight`);
    const b = tensor(tensors, `${prefix}.bias`);
    const wName = g.constant(`${prefix}.weight`, [...w.shape, 1, 1], w.data);
    const bName = g.constant(`${prefix}.bias`, b.shape, b.data);
    return g.node('Conv', [x, wName, bName], prefix, { kernel_shape: [1, 1] });
  };

  const caffe = o.variant === 'caffe';
  let x = g.node('Relu', [convBn(input, 'conv1', 'bn1', 2)], 'relu');
  // torchvision pads the max-pool by 1; caffe (ResNet v1) does not and rounds the output size up.
  x = g.node('MaxPool', [x], 'maxpool', {
    kernel_shape: [3, 3],
    strides: [2, 2],
    ...(caffe ? { pads: [0, 0, 0, 0], ceil_mode: 1 } : { pads: [1, 1, 1, 1] }),
  });

  for (let layer = 1; tensors.has(`layer${layer}.0.conv1.weight`); layer++) {
    for (let block = 0; tensors.has(`layer${layer}.${block}.conv1.weight`); block++) {
      const p = `layer${layer}.${block}`;
      // ResNet's rule: the first block of every stage after the first halves the resolution; v1.5
      // (torchvision) strides the 3x3 conv, v1 (caffe) the first 1x1.
      const stride = block === 0 && layer > 1 ? 2 : 1;
      let out = g.node('Relu', [convBn(x, `${p}.conv1`, `${p}.bn1`, caffe ? stride : 1)], `${p}.relu1`);
      out = g.node('Relu', [convBn(out, `${p}.conv2`, `${p}.bn2`, caffe ? 1 : stride)], `${p}.relu2`);
      out = convBn(out, `${p}.conv3`, `${p}.bn3`, 1);
      if (tensors.has(`${p}.se.fc.0.weight`)) {
        // Squeeze-and-excitation: channel weights from the pooled map, Linear-ReLU-Linear-Sigmoid.
        const pooled = g.node('GlobalAveragePool', [out], `${p}.se.pool`);
        const hidden = g.node('Relu', [linearAsConv(pooled, `${p}.se.fc.0`)], `${p}.se.fc.1`);
        const gate = g.node('Sigmoid', [linearAsConv(hidden, `${p}.se.fc.2`)], `${p}.se.fc.3`);
        out = g.node('Mul', [out, gate], `${p}.se`);
      }
      const identity = tensors.has(`${p}.downsample.0.weight`)
        ? convBn(x, `${p}.downsample.0`, `${p}.downsample.1`, stride, `${p}.downsample`)
        : x;
      x = g.node('Relu', [g.node('Add', [out, identity], `${p}.add`)], `${p}.relu3`);
    }
  }

  const pooled = g.node('GlobalAveragePool', [x], 'avgpool');
  const features = g.node('Flatten', [pooled], 'features', { axis: 1 });
  const fc = tensor(tensors, 'fc.weight');
  const numClasses = fc.shape[0];
  let head = features;
  let featureDim = fc.shape[1];
  let embeddingDim = featureDim;
  if (tensors.has('embedding.0.weight')) {
    // The optional embedding layer: Linear + BatchNorm1d, folded into one Gemm.
    const w = tensor(tensors, 'embedding.0.weight');
    const folded = foldBatchNorm(w.data, tensor(tensors, 'embedding.0.bias').data, batchNorm(tensors, 'embedding.1'));
    [embeddingDim, featureDim] = w.shape;
    head = g.node(
      'Gemm',
      [
        features,
        g.constant('embedding.weight', w.shape, folded.weight),
        g.constant('embedding.bias', [embeddingDim], folded.bias),
      ],
      'embedding.projected',
      { transB: 1 },
    );
  }
  // The embedding as embed() returns it: the embedding layer's output (else the pooled features), L2-normalised.
  const embedding = g.node('LpNormalization', [head], 'embedding', { axis: 1, p: 2 });

  let logits: string;
  if (o.loss === 'arcface' || o.loss === 'cosface') {
    // A cosine classifier (native/losses/classifier_loss.cc): s · normalise(x) · normalise(W)ᵀ, no bias;
    // W is normalised and scaled by s here, once.
    const row = fc.shape[1];
    const w = new Float32Array(fc.data.length);
    for (let c = 0; c < numClasses; c++) {
      let sum = 0;
      for (let k = c * row; k < (c + 1) * row; k++) sum += fc.data[k] * fc.data[k];
      const scale = o.marginScale / Math.max(Math.sqrt(sum), 1e-12);
      for (let k = c * row; k < (c + 1) * row; k++) w[k] = fc.data[k] * scale;
    }
    logits = g.node('Gemm', [embedding, g.constant('fc.weight', fc.shape, w)], 'logits', { transB: 1 });
  } else {
    const b = tensor(tensors, 'fc.bias');
    logits = g.node(
      'Gemm',
      [head, g.constant('fc.weight', fc.shape, fc.data), g.constant('fc.bias', b.shape, b.data)],
      'logits',
      { transB: 1 },
    );
  }
  return { logits, features, embedding, numClasses, featureDim, embeddingDim };
}
