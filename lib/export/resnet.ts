/**
 * The ResNet family (ResNet-18/34/50 with or without SE; torchvision and, for 50, caffe variants)
 * as ONNX nodes, built by walking the model's tensors by name: blocks are found as `layerN.M.*`
 * (bottlenecks by their conv3), channels and kernels are read from the weight shapes, and
 * BatchNorm is folded into the conv or Linear before it. The
 * forward is native/models/resnet.cc, bottleneck.cc, basic_block.cc and se_layer.cc, node for node.
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

/**
 * The network from `input` (the normalised NCHW batch) to its three outputs. Nodes and constants
 * are named by the module path they come from (`layer2.0.conv1`), as ONNX viewers show them.
 */
export function buildResNet(g: GraphBuilder, tensors: Tensors, input: string, o: NetworkGraphOptions): NetworkGraph {
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
      let out: string;
      if (tensors.has(`${p}.conv3.weight`)) {
        // Bottleneck (ResNet-50): 1x1, 3x3, 1x1.
        out = g.node('Relu', [convBn(x, `${p}.conv1`, `${p}.bn1`, caffe ? stride : 1)], `${p}.relu1`);
        out = g.node('Relu', [convBn(out, `${p}.conv2`, `${p}.bn2`, caffe ? 1 : stride)], `${p}.relu2`);
        out = convBn(out, `${p}.conv3`, `${p}.bn3`, 1);
      } else {
        // Basic block (ResNet-18/34): two 3x3 convs, the stride on the first.
        out = g.node('Relu', [convBn(x, `${p}.conv1`, `${p}.bn1`, stride)], `${p}.relu1`);
        out = convBn(out, `${p}.conv2`, `${p}.bn2`, 1);
      }
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
  // The pooled feature feeds the embedding layer when there is one, else the classifier.
  const featureDim = (tensors.get('embedding.0.weight') ?? tensor(tensors, 'fc.weight')).shape[1];
  let head = features;
  let embeddingDim = featureDim;
  // The optional embedding layer.
  if (tensors.has('embedding.0.weight')) ({ head, dim: embeddingDim } = embeddingLayer(g, tensors, features));
  const { embedding, logits, numClasses } = classifierHead(g, tensors, head, o);
  return { logits, features, embedding, numClasses, featureDim, embeddingDim };
}
