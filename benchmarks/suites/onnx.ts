/**
 * The exported ONNX model in onnxruntime-node against our fp32 forward: ResNet-50 (8,631
 * classes), 112x112, batch 32, every core for both, each alone in its own process, rounds
 * alternating (two runtimes' thread pools in one process would spin against each other). Ours:
 * `vgg2-torch bench infer` (as the infer suite's fp32 row); theirs: benchmarks/onnxruntime-probe.ts
 * on the exported file (dynamic batch; its normalisation nodes included). Opt-in: onnxruntime-node
 * is a devDependency.
 *
 *   npm run bench -- --only onnx
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { exportOnnx } from '../../lib/export';
import { Model } from '../../lib/model';
import { Row, Suite, alternate, jsonLine, ourCli } from '../harness';

const SIZE = 112;
const BATCH = 32;

const suite: Suite = {
  name: 'onnx',
  describe: `fp32 forward, ResNet-50 8,631 classes, ${SIZE}x${SIZE}, batch ${BATCH}: ours vs the exported ONNX in onnxruntime-node`,
  optIn: true,
  async run({ rounds, quick, smoke, log }) {
    try {
      require.resolve('onnxruntime-node');
    } catch (e) {
      throw new Error('the onnx suite needs onnxruntime-node, a devDependency: npm install', { cause: e });
    }
    const threads = String(os.cpus().length);
    const steps = smoke ? '1' : quick ? '3' : '10';
    const warmup = smoke ? '1' : '3';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-bench-onnx-'));
    try {
      const file = path.join(dir, 'resnet50.onnx');
      // The weights bench infer runs (seed 0); the numbers do not depend on them, the shapes do.
      const model = await Model.create({ arch: 'resnet50', numClasses: 8631, seed: 0, inputSize: SIZE });
      try {
        await exportOnnx(model, { out: file, dynamicBatch: true });
      } finally {
        model.dispose();
      }
      const probe = path.join(__dirname, '..', 'onnxruntime-probe.js');
      let version = '';
      const m = alternate(
        rounds,
        // prettier-ignore
        () => ourCli(['bench', 'infer', '--arch', 'resnet50', '--size', String(SIZE), '--batch', String(BATCH),
          '--threads', threads, '--steps', steps, '--warmup', warmup, '--amp', 'off']),
        () => {
          const r = jsonLine(process.execPath, [probe, file, String(SIZE), String(BATCH), steps, warmup, threads]);
          version = r.version;
          return r;
        },
        'img_per_s',
        log,
      );
      const row: Row = {
        suite: 'onnx',
        config: `fp32 ResNet-50 ${SIZE}x${SIZE} batch ${BATCH}, ${threads} threads`,
        unit: 'img/s',
        ...m,
        baseline: `onnxruntime-node ${version}`,
        ratio: m.ours / m.pytorch,
        rounds,
      };
      return [row];
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
