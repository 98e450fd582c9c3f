/**
 * exportOnnx(): a model (or its weights file) as one ONNX file that any ONNX runtime runs:
 * the input normalisation as the first nodes, BatchNorm folded into the convolutions, and the
 * logits, pooled features and L2-normalised embedding as named outputs (docs/export.md).
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic-write';
import { checkOutputFile } from '../io/output-path';
import { modelTensors } from '../io/model-tensors';
import { loadForEval } from '../eval/load-model';
import type { Arch, Model } from '../model';
import { packageRoot } from '../native';
import { GraphBuilder, type TensorSpec } from './graph';
import { DEFAULT_OPSET, OPSET_RANGE, type OnnxExportOptions, type OnnxExportResult } from './options';
import { buildMobileFaceNet } from './mobilefacenet';
import { buildResNet } from './resnet';

/** The graph builder of each architecture (a Record: a new arch cannot be added without its exporter). */
const BUILDERS: Record<Arch, typeof buildResNet> = {
  resnet18: buildResNet,
  resnet34: buildResNet,
  resnet50: buildResNet,
  senet18: buildResNet,
  senet34: buildResNet,
  senet50: buildResNet,
  mobilefacenet: buildMobileFaceNet,
};

function checkOptions(o: OnnxExportOptions): { opset: number; batch: number | 'batch' } {
  const opset = o.opset ?? DEFAULT_OPSET;
  const [min, max] = OPSET_RANGE;
  if (!Number.isInteger(opset) || opset < min || opset > max)
    throw new RangeError(`opset must be an integer from ${min} to ${max}, got ${opset}`);
  const batchSize = o.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  if (typeof o.out !== 'string' || o.out === '') throw new TypeError('out: name the .onnx file to write');
  return { opset, batch: o.dynamicBatch ? 'batch' : batchSize };
}

function producerVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Writes `source` (a Model, or a weights file any command loads) as ONNX. The graph's input
 * 'input' is float32 NHWC RGB in 0..255 — the pixels our uint8 input takes, as floats — at the
 * model's input size; the graph normalises it with the model's mean and std.
 */
export async function exportOnnx(source: string | Model, options: OnnxExportOptions): Promise<OnnxExportResult> {
  const { opset, batch } = checkOptions(options);
  checkOutputFile(options.out, 'out', 'model.onnx');
  const loaded = typeof source === 'string' ? (await loadForEval(source, { device: 'cpu' })).model : undefined;
  const model = loaded ?? (source as Model);
  try {
    const d = model.describe();
    if (d.inference)
      throw new Error(
        `a ${d.inference} inference model (made by quantize) cannot be exported: export the fp32 weights it was made from`,
      );
    const tensors = await modelTensors(model);
    const g = new GraphBuilder();
    const size = model.inputSize;
    const input: TensorSpec = { name: 'input', dims: [batch, size, size, 3] };
    // (x − mean) · (1/std) per channel after NHWC → NCHW: the arithmetic of our uint8 path (native/session.cc).
    const { mean, std } = d.normalization;
    const nchw = g.node('Transpose', [input.name], 'input.nchw', { perm: [0, 3, 1, 2] });
    const centred = g.node(
      'Sub',
      [nchw, g.constant('input.mean', [1, 3, 1, 1], Float32Array.from(mean))],
      'input.centred',
    );
    const invStd = Float32Array.from(std, (s) => 1 / Math.fround(s));
    const normalised = g.node('Mul', [centred, g.constant('input.inv_std', [1, 3, 1, 1], invStd)], 'input.normalised');
    const net = BUILDERS[d.arch](g, tensors, normalised, {
      variant: model.config.variant ?? 'torchvision',
      loss: d.loss ?? 'softmax',
      marginScale: d.marginScale ?? 0,
    });
    const outputs: TensorSpec[] = [
      { name: net.logits, dims: [batch, net.numClasses] },
      { name: net.features, dims: [batch, net.featureDim] },
      { name: net.embedding, dims: [batch, net.embeddingDim] },
    ];
    const bytes = g.encode({
      opset,
      inputs: [input],
      outputs,
      producerVersion: producerVersion(),
      docString:
        `${d.arch} (${model.config.variant ?? 'torchvision'}) exported by vgg2-torch. input: float32 NHWC RGB, 0..255, ` +
        `${size}x${size}; normalised in the graph with mean ${JSON.stringify(mean)} and std ${JSON.stringify(std)}. ` +
        'outputs: logits, features (pooled), embedding (L2-normalised, as embed() returns it).',
      metadata: {
        arch: d.arch,
        variant: model.config.variant ?? 'torchvision',
        input_size: String(size),
        normalization: JSON.stringify(d.normalization),
        loss: d.loss ?? 'softmax',
        ...(d.classNames ? { class_names: JSON.stringify(d.classNames) } : {}),
      },
    });
    writeFileAtomic(options.out, bytes);
    const batchNorms = [...tensors.keys()].filter((k) => k.endsWith('.running_var')).length;
    return {
      out: options.out,
      bytes: bytes.length,
      opset,
      input,
      outputs,
      nodes: g.nodeCount,
      foldedBatchNorms: batchNorms,
      ops: Object.fromEntries(g.opCounts),
    };
  } finally {
    loaded?.dispose();
  }
}
