/**
 * exportOnnx() checked by a runtime nobody here wrote (onnxruntime-node): its outputs against our
 * forward for every variant, the file's structure read back, and the bad inputs it refuses.
 */
import * as path from 'path';
import { exportOnnx } from '../../lib/export';
import { l2NormalizeRows } from '../../lib/eval/vectors';
import type { ModelOptions } from '../../lib/model';
import { removeTmpDirs, tmpDir } from '../helpers/paths';
import { modelWithStatistics, pixels, relativeError, runOnnx } from './helpers';

jest.setTimeout(120_000);
afterAll(removeTmpDirs);

const SIZE = 112;
const dir = tmpDir('export');

const variants: [string, ModelOptions][] = [
  ['resnet50, no embedding layer', { arch: 'resnet50' }],
  ['senet50 with a 128-d embedding layer', { arch: 'senet50', embeddingDim: 128 }],
  ['resnet50 caffe with a 64-d embedding layer', { arch: 'resnet50', variant: 'caffe', embeddingDim: 64 }],
  ['senet50 caffe, arcface (cosine) classifier', { arch: 'senet50', variant: 'caffe', loss: 'arcface' }],
];

test.each(variants)('onnxruntime matches our forward (rel. err <= 1e-4): %s', async (label, options) => {
  const weights = path.join(dir, `${label.replace(/\W+/g, '-')}.safetensors`);
  const model = await modelWithStatistics({ ...options, numClasses: 100, seed: 5, inputSize: SIZE }, weights);
  try {
    const out = path.join(dir, 'model.onnx');
    const result = await exportOnnx(model, { out, dynamicBatch: true });
    expect(result.foldedBatchNorms).toBe(options.embeddingDim ? 54 : 53);
    expect(result.ops.BatchNormalization).toBeUndefined();
    const shape = [2, SIZE, SIZE, 3];
    const x = pixels(2, SIZE);
    const ours = await model.forward(x, shape);
    const theirs = runOnnx(out, x, shape);
    expect(theirs.logits.dims).toEqual([2, 100]);
    const embedding = l2NormalizeRows(Float32Array.from(ours.embedding ?? ours.features), options.embeddingDim || 2048);
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
