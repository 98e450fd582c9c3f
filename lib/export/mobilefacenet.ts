/**
 * MobileFaceNet as ONNX nodes, walking the model's tensors by name as resnet.ts does: each conv
 * with its BatchNorm folded in, grouped (depthwise) where the weight's input channels say so,
 * PReLU with its per-channel slopes, the residual adds of the bottlenecks whose shapes allow them,
 * the global depthwise conv (7x7, unpadded) as the pooled feature, and the Linear + BatchNorm
 * embedding folded into one Gemm. The forward is native/models/mobilefacenet.cc and
 * depthwise_block.cc, node for node.
 */
import { foldBatchNorm } from './fold';
import type { GraphBuilder } from './graph';
import {
  batchNorm,
  classifierHead,
  embeddingLayer,
  tensor,
  type NetworkGraph,
  type NetworkGraphOptions,
  type Tensors,
} from './tensors';

export function buildMobileFaceNet(
  g: GraphBuilder,
  tensors: Tensors,
  input: string,
  o: NetworkGraphOptions,
): NetworkGraph {
  // Conv + folded BatchNorm; the group count is in/(the weight's input channels).
  const convBn = (x: string, inChannels: number, conv: string, bn: string, stride: number, pad = true): string => {
    const w = tensor(tensors, `${conv}.weight`);
    const [out, perGroup, kh, kw] = w.shape;
    const folded = foldBatchNorm(w.data, undefined, batchNorm(tensors, bn));
    const pads = pad ? [kh >> 1, kw >> 1, kh >> 1, kw >> 1] : [0, 0, 0, 0];
    return g.node(
      'Conv',
      [x, g.constant(`${conv}.weight`, w.shape, folded.weight), g.constant(`${conv}.bias`, [out], folded.bias)],
      conv,
      { kernel_shape: [kh, kw], strides: [stride, stride], pads, group: inChannels / perGroup },
    );
  };
  const prelu = (x: string, name: string): string => {
    const slope = tensor(tensors, `${name}.weight`);
    return g.node('PRelu', [x, g.constant(`${name}.weight`, [slope.shape[0], 1, 1], slope.data)], name);
  };
  const outChannels = (conv: string) => tensor(tensors, `${conv}.weight`).shape[0];

  let x = prelu(convBn(input, 3, 'conv1', 'bn1', 2), 'prelu1');
  x = prelu(convBn(x, 64, 'conv2', 'bn2', 1), 'prelu2');
  let channels = outChannels('conv2');
  for (let layer = 1; tensors.has(`layer${layer}.0.conv1.weight`); layer++) {
    for (let block = 0; tensors.has(`layer${layer}.${block}.conv1.weight`); block++) {
      const p = `layer${layer}.${block}`;
      const stride = block === 0 ? 2 : 1; // each stage opens with its strided bottleneck
      const width = outChannels(`${p}.conv1`);
      let y = prelu(convBn(x, channels, `${p}.conv1`, `${p}.bn1`, 1), `${p}.prelu1`);
      y = prelu(convBn(y, width, `${p}.conv2`, `${p}.bn2`, stride), `${p}.prelu2`);
      y = convBn(y, width, `${p}.conv3`, `${p}.bn3`, 1);
      const out = outChannels(`${p}.conv3`);
      x = stride === 1 && out === channels ? g.node('Add', [y, x], `${p}.add`) : y;
      channels = out;
    }
  }
  x = prelu(convBn(x, channels, 'conv_sep', 'bn_sep', 1), 'prelu_sep');
  const gdc = convBn(x, outChannels('conv_sep'), 'gdc', 'bn_gdc', 1, false);
  const features = g.node('Flatten', [gdc], 'features', { axis: 1 });
  const featureDim = tensor(tensors, 'embedding.0.weight').shape[1];
  const { head, dim: embeddingDim } = embeddingLayer(g, tensors, features);
  return { ...classifierHead(g, tensors, head, o), features, featureDim, embeddingDim };
}
