/**
 * The exported ONNX model in onnxruntime-node against our fp32 forward, in one process, rounds
 * alternating: ResNet-50 (8,631 classes), 112x112, batch 32, every core for both. Ours takes the
 * uint8 NHWC batch, onnxruntime the same pixels as float32 (the export's input); each normalises
 * them itself. Opt-in: onnxruntime-node is a devDependency.
 *
 *   npm run bench -- --only onnx
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import type * as Ort from 'onnxruntime-node';
import { exportOnnx } from '../../lib/export';
import { Model } from '../../lib/model';
import { Row, Suite, median } from '../harness';

const SIZE = 112;
const BATCH = 32;

/** onnxruntime-node, loaded only when the suite runs (a package installed without dev dependencies lacks it). */
function onnxruntime(): typeof Ort {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
    return require('onnxruntime-node') as typeof Ort;
  } catch (e) {
    throw new Error(`the onnx suite needs onnxruntime-node (a devDependency): npm install (${(e as Error).message})`, {
      cause: e,
    });
  }
}

/** Images per second of `run` (one batch per call) over `steps` calls. */
async function throughput(run: () => Promise<unknown>, steps: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) await run();
  return (steps * BATCH) / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const suite: Suite = {
  name: 'onnx',
  describe: `fp32 forward, ResNet-50 8,631 classes, ${SIZE}x${SIZE}, batch ${BATCH}: ours vs the exported ONNX in onnxruntime-node`,
  optIn: true,
  async run({ rounds, quick, smoke, log }) {
    const ort = onnxruntime();
    const threads = os.cpus().length;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-bench-onnx-'));
    const model = await Model.create({ arch: 'resnet50', numClasses: 8631, seed: 0, inputSize: SIZE, threads });
    try {
      const file = path.join(dir, 'resnet50.onnx');
      await exportOnnx(model, { out: file, dynamicBatch: true });
      const session = await ort.InferenceSession.create(file, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      try {
        const shape = [BATCH, SIZE, SIZE, 3];
        const pixels = Uint8Array.from({ length: BATCH * SIZE * SIZE * 3 }, (_, i) => (i * 7) & 255);
        const feeds = { input: new ort.Tensor('float32', Float32Array.from(pixels), shape) };
        const ours = () => model.forward(pixels, shape);
        const theirs = () => session.run(feeds);
        const steps = smoke ? 1 : quick ? 3 : 10;
        for (const warm of [ours, theirs]) await throughput(warm, smoke ? 1 : 2);
        const a: number[] = [];
        const b: number[] = [];
        for (let r = 0; r < rounds; r++) {
          a.push(await throughput(ours, steps));
          b.push(await throughput(theirs, steps));
          log(`onnx: round ${r + 1}: ours ${a[r].toFixed(1)} img/s, onnxruntime ${b[r].toFixed(1)} img/s`);
        }
        const [mine, theirMedian] = [median(a), median(b)];
        const version = ort.env.versions.node ?? 'unknown';
        return [
          {
            suite: 'onnx',
            config: `fp32 ResNet-50 ${SIZE}x${SIZE} batch ${BATCH}, ${threads} threads`,
            unit: 'img/s',
            ours: mine,
            pytorch: theirMedian,
            baseline: `onnxruntime-node ${version}`,
            ratio: mine / theirMedian,
            rounds,
          } satisfies Row,
        ];
      } finally {
        await session.release();
      }
    } finally {
      model.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
