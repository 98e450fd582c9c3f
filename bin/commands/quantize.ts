/**
 * `vgg2-torch quantize`: a trained model made cheap to run — BatchNorm folded and int8 weights
 * (dynamic) or int8 weights and activations calibrated on real faces (static) — written as one
 * file that embed, eval, verify, enroll, search, serve and `bench infer --weights` load like any other.
 */
import * as fs from 'fs';
import type { CommandModule } from 'yargs';
import { Issues } from '../../lib/data/issues';
import type { CropMode } from '../../lib/data/types';
import { loadForEval } from '../../lib/eval/load-model';
import { checkOutputFile } from '../../lib/io/output-path';
import type { InferencePrecision } from '../../lib/native';
import { agreement } from '../../lib/quant/agreement';
import { calibrationBatches } from '../../lib/quant/calibration';
import { emitJson, jsonOption, strictOption, type JsonArgs, type StrictArgs } from './common-flags';

interface Args extends JsonArgs, StrictArgs {
  weights: string;
  mode: InferencePrecision;
  calibrate?: string;
  images: number;
  observer: 'histogram' | 'minmax';
  crop: CropMode;
  out: string;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

const cmd: CommandModule<object, Args> = {
  command: 'quantize',
  describe: 'Make an int8 (or BatchNorm-folded) inference model from trained weights',
  builder: (y) =>
    strictOption(jsonOption(y))
      .option('weights', { type: 'string', demandOption: true, describe: 'Trained weights (fp32 safetensors)' })
      .option('mode', {
        choices: ['static', 'dynamic', 'folded'] as const,
        default: 'static' as const,
        describe:
          'static: the whole network int8 (needs --calibrate); dynamic: the Linear layers int8; folded: BatchNorm folded, fp32',
      })
      .option('calibrate', {
        type: 'string',
        describe: 'Folder of real face images for calibration (one sub-folder per person, or flat)',
      })
      .option('images', { type: 'number', default: 64, describe: 'Calibration images, spread over the folder' })
      .option('observer', {
        choices: ['histogram', 'minmax'] as const,
        default: 'histogram' as const,
        describe: "How activation ranges are chosen (histogram: least squared error, PyTorch's default)",
      })
      .option('crop', {
        choices: ['loose', 'align', 'none'] as const,
        default: 'loose' as const,
        describe: 'Face crop of the calibration images (as the model is evaluated)',
      })
      .option('out', { type: 'string', demandOption: true, describe: 'Output file (.safetensors)' })
      .check((a) => {
        if (a.mode === 'static' && !a.calibrate)
          throw new Error('--mode static needs --calibrate DIR (real face images)');
        if (!Number.isInteger(a.images) || a.images < 1) throw new Error('--images must be a positive integer');
        return true;
      })
      .strict(),
  handler: async (argv) => {
    checkOutputFile(argv.out, '--out', 'model-int8.safetensors');
    const { model } = await loadForEval(argv.weights, { device: 'cpu' });
    try {
      if (model.quantization)
        throw new Error(`${argv.weights}: already ${model.quantization.mode}: quantize the fp32 model`);
      const issues = new Issues({ strict: argv.strict });
      const set = argv.calibrate
        ? await calibrationBatches(argv.calibrate, {
            size: model.inputSize,
            images: argv.images,
            crop: argv.crop,
            issues,
          })
        : undefined;
      if (set) console.error(`calibration: ${set.images} images of ${set.description}; ${set.skipped} skipped`);
      const started = Date.now();
      const q = await model.quantize({ mode: argv.mode, calibration: set, observer: argv.observer });
      try {
        const seconds = (Date.now() - started) / 1000;
        await q.save(argv.out);
        const [before, after] = [fs.statSync(argv.weights).size, fs.statSync(argv.out).size];
        const agree = set ? await agreement(model, q, set.batches) : undefined;
        const result = {
          weights: argv.weights,
          out: argv.out,
          ...q.quantization,
          seconds,
          bytes: after,
          sourceBytes: before,
          sizeRatio: after / before,
          ...(agree ? { agreementOnCalibration: agree } : {}),
        };
        console.error(
          `${argv.out}: ${argv.mode} (${q.quantization?.engine ?? 'fp32'}), ${mib(after)} MiB = ${(100 * result.sizeRatio).toFixed(1)}% of ${mib(before)} MiB, in ${seconds.toFixed(1)} s`,
        );
        if (agree)
          console.error(
            `agreement with fp32 on the ${agree.images} calibration images: cosine mean ${agree.meanCosine.toFixed(4)}, min ${agree.minCosine.toFixed(4)}; top-1 same ${(100 * agree.top1Agreement).toFixed(1)}%`,
          );
        emitJson(argv, result);
      } finally {
        q.dispose();
      }
    } finally {
      model.dispose();
    }
  },
};

export default cmd;
