/**
 * exportOnnx() checked by a runtime nobody here wrote (onnxruntime-node): its outputs against our
 * forward for every variant, the file's structure read back, and the bad inputs it refuses.
 */
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { exportOnnx } from '../../lib/export';
import { l2NormalizeRows } from '../../lib/eval/vectors';
import { Model, type ModelOptions } from '../../lib/model';
import { removeTmpDirs, tmpDir } from '../helpers/paths';
import { modelWithStatistics, pixels, relativeError, runOnnx } from './helpers';

jest.setTimeout(120_000);
afterAll(removeTmpDirs);

const SIZE = 112;
const dir = tmpDir('export');

// label, options, BatchNorms folded, embedding size
const variants: [string, ModelOptions, number, number][] = [
  ['resnet50, no embedding layer', { arch: 'resnet50' }, 53, 2048],
  ['senet50 with a 128-d embedding layer', { arch: 'senet50', embeddingDim: 128 }, 54, 128],
  [
    'resnet50 caffe with a 64-d embedding layer, vggface2 normalisation',
    { arch: 'resnet50', variant: 'caffe', embeddingDim: 64, normalization: 'vggface2' },
    54,
    64,
  ],
  ['senet50 caffe, arcface (cosine) classifier', { arch: 'senet50', variant: 'caffe', loss: 'arcface' }, 53, 2048],
  // Basic blocks: conv1 + 2 per block + 3 downsamples.
  ['resnet18, no embedding layer', { arch: 'resnet18' }, 20, 512],
  ['senet34 with a 96-d embedding layer, cosface', { arch: 'senet34', embeddingDim: 96, loss: 'cosface' }, 37, 96],
  // 2 + 3 per depthwise bottleneck (15) + conv_sep + GDC + the embedding's.
  ['mobilefacenet, 128-d embedding', { arch: 'mobilefacenet', embeddingDim: 128 }, 50, 128],
];

test.each(variants)('onnxruntime matches our forward (rel. err <= 1e-4): %s', async (label, options, bns, dim) => {
  const weights = path.join(dir, `${label.replace(/\W+/g, '-')}.safetensors`);
  const model = await modelWithStatistics({ ...options, numClasses: 100, seed: 5, inputSize: SIZE }, weights);
  try {
    const out = path.join(dir, 'model.onnx');
    const result = await exportOnnx(model, { out, dynamicBatch: true });
    expect(result.foldedBatchNorms).toBe(bns);
    expect(result.ops.BatchNormalization).toBeUndefined();
    const shape = [2, SIZE, SIZE, 3];
    const x = pixels(2, SIZE);
    const ours = await model.forward(x, shape);
    const theirs = runOnnx(out, x, shape);
    expect(theirs.logits.dims).toEqual([2, 100]);
    const embedding = l2NormalizeRows(Float32Array.from(ours.embedding ?? ours.features), dim);
    const errors = {
      logits: relativeError(theirs.logits.data, ours.logits),
      features: relativeError(theirs.features.data, ours.features),
      embedding: relativeError(theirs.embedding.data, embedding),
    };
    console.log(`${label}: ${JSON.stringify(errors)}`);
    for (const e of Object.values(errors)) expect(e).toBeLessThanOrEqual(1e-4);
    // Not trivially equal: the outputs vary from image to image.
    expect(relativeError(theirs.logits.data.subarray(0, 100), theirs.logits.data.subarray(100))).toBeGreaterThan(1e-3);
  } finally {
    model.dispose();
  }
});

test('the file read back: normalisation first, no BatchNormalization, named outputs, fixed or named batch; opset 11 runs the same', async () => {
  const model = await Model.create({ arch: 'resnet50', numClasses: 10, embeddingDim: 32, seed: 2, inputSize: 64 });
  try {
    const fixed = path.join(dir, 'fixed.onnx');
    const dynamic = path.join(dir, 'dynamic.onnx');
    const old = path.join(dir, 'opset11.onnx');
    await exportOnnx(model, { out: fixed });
    await exportOnnx(model, { out: dynamic, dynamicBatch: true });
    await exportOnnx(model, { out: old, dynamicBatch: true, opset: 11 });

    const read = (file: string) => onnx.ModelProto.decode(fs.readFileSync(file));
    const m = read(fixed);
    expect(Number(m.opsetImport[0].version)).toBe(17);
    const g = m.graph!;
    expect(g.node.slice(0, 3).map((n) => n.opType)).toEqual(['Transpose', 'Sub', 'Mul']);
    expect(g.node.some((n) => n.opType === 'BatchNormalization')).toBe(false);
    expect(g.output.map((o) => o.name)).toEqual(['logits', 'features', 'embedding']);
    const dims = (v: onnx.IValueInfoProto) =>
      v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(dims(g.input[0])).toEqual([1, 64, 64, 3]);
    expect(g.output.map(dims)).toEqual([
      [1, 10],
      [1, 2048],
      [1, 32],
    ]);
    const meta = Object.fromEntries(m.metadataProps.map((p) => [p.key, p.value]));
    expect(JSON.parse(meta.normalization)).toEqual(model.normalization);
    const dg = read(dynamic).graph!;
    expect(dims(dg.input[0])).toEqual(['batch', 64, 64, 3]);
    expect(dims(dg.output[2])).toEqual(['batch', 32]);
    expect(Number(read(old).opsetImport[0].version)).toBe(11);

    const x = pixels(3, 64, 9);
    const shape = [3, 64, 64, 3];
    const ours = await model.forward(x, shape);
    const a = runOnnx(dynamic, x, shape);
    const b = runOnnx(old, x, shape);
    expect(a.embedding.dims).toEqual([3, 32]);
    expect(relativeError(a.logits.data, ours.logits)).toBeLessThanOrEqual(1e-4);
    expect(relativeError(b.logits.data, ours.logits)).toBeLessThanOrEqual(1e-4);
    // The fixed-batch file takes its one batch size only.
    expect(() => runOnnx(fixed, x, shape)).toThrow(/onnxruntime-node failed/);
  } finally {
    model.dispose();
  }
});

describe('bad input: a clear error and no file written', () => {
  const out = path.join(dir, 'bad', 'model.onnx');
  let weights: string;
  beforeAll(async () => {
    weights = path.join(dir, 'small.safetensors');
    const m = await Model.create({ arch: 'resnet50', numClasses: 4, seed: 1, inputSize: 32 });
    await m.save(weights);
    m.dispose();
  });
  afterEach(() => {
    expect(fs.existsSync(out)).toBe(false);
    if (fs.existsSync(path.dirname(out))) expect(fs.readdirSync(path.dirname(out))).toEqual([]);
  });

  test.each([10, 22, 17.5])('opset %p', async (opset) => {
    await expect(exportOnnx(weights, { out, opset })).rejects.toThrow(/opset must be an integer from 11 to 21/);
  });
  test('a missing weights file', async () => {
    await expect(exportOnnx(path.join(dir, 'none.safetensors'), { out })).rejects.toThrow(
      /none\.safetensors: cannot read the weights file: no such file/,
    );
  });
  test('a file that is not a model', async () => {
    const text = path.join(dir, 'notes.txt');
    fs.writeFileSync(text, 'not a model\n');
    await expect(exportOnnx(text, { out })).rejects.toThrow(/notes\.txt.*is not a weights file/);
  });
  test('an inference (quantized) model', async () => {
    const m = await Model.fromFile(weights);
    const folded = await m.quantize({ mode: 'folded' });
    m.dispose();
    try {
      await expect(exportOnnx(folded, { out })).rejects.toThrow(
        /a folded inference model .* cannot be exported: export the fp32 weights/,
      );
    } finally {
      folded.dispose();
    }
  });
  test('an output path that is a folder, or under a file', async () => {
    await expect(exportOnnx(weights, { out: dir })).rejects.toThrow(/is a folder; give a file name/);
    await expect(exportOnnx(weights, { out: path.join(weights, 'model.onnx') })).rejects.toThrow(
      /is a file, not a folder/,
    );
  });
});
