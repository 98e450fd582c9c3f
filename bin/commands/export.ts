/**
 * `vgg2-torch export`: trained weights as a file another runtime runs. ONNX for now (onnxruntime,
 * TensorRT, OpenVINO): BatchNorm folded, input normalisation inside the graph (docs/export.md).
 */
import * as fs from 'fs';
import type { CommandModule } from 'yargs';
import { DEFAULT_OPSET, exportOnnx, OPSET_RANGE } from '../../lib/export';
import { checkInputFile } from '../../lib/io/input-file';
import { checkOutputFile } from '../../lib/io/output-path';
import { emitJson, jsonOption, type JsonArgs } from './common-flags';

const FORMATS = ['onnx'] as const;

interface Args extends JsonArgs {
  weights: string;
  format: string;
  out: string;
  'dynamic-batch': boolean;
  batch?: number;
  opset: number;
}

const cmd: CommandModule<object, Args> = {
  command: 'export',
  describe: 'Write trained weights as an ONNX model for other runtimes (BatchNorm folded, normalisation included)',
  builder: (y) =>
    jsonOption(y)
      .option('weights', {
        type: 'string',
        demandOption: true,
        describe: 'Trained weights (fp32 safetensors or a PyTorch state_dict)',
      })
      // A string, not yargs choices: an unknown format gets a sentence saying what there is.
      .option('format', { type: 'string', default: 'onnx', describe: `Output format (${FORMATS.join(', ')})` })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'Output file (.onnx), written whole or not at all',
      })
      .option('dynamic-batch', {
        type: 'boolean',
        default: false,
        describe: "A named batch dimension ('batch'): any batch size runs; else the batch is fixed at --batch",
      })
      .option('batch', {
        type: 'number',
        defaultDescription: '1',
        describe: 'The fixed batch size (without --dynamic-batch)',
      })
      .option('opset', {
        type: 'number',
        default: DEFAULT_OPSET,
        describe: `ONNX opset, ${OPSET_RANGE[0]} to ${OPSET_RANGE[1]}`,
      })
      .check((a) => {
        // yargs makes a repeated flag an array; which one was meant is not ours to guess.
        for (const flag of ['weights', 'out', 'format', 'opset', 'batch'] as const)
          if (Array.isArray(a[flag])) throw new Error(`--${flag} is given more than once: give it once`);
        if (!(FORMATS as readonly string[]).includes(a.format))
          throw new Error(`--format ${a.format}: unknown format; vgg2-torch exports ${FORMATS.join(', ')}`);
        const [min, max] = OPSET_RANGE;
        if (!Number.isInteger(a.opset) || a.opset < min || a.opset > max)
          throw new Error(`--opset must be an integer from ${min} to ${max}, got ${a.opset}`);
        if (a.batch !== undefined && (!Number.isInteger(a.batch) || a.batch < 1))
          throw new Error(`--batch must be a positive integer, got ${a.batch}`);
        if (a['dynamic-batch'] && a.batch !== undefined)
          throw new Error('--batch fixes the batch size; --dynamic-batch leaves it open: give one of them');
        return true;
      })
      .strict(),
  handler: async (argv) => {
    // Both checked before the model loads: a wrong path fails in a moment, not after the load.
    checkInputFile(argv.weights, 'weights file', Number.MAX_SAFE_INTEGER);
    checkOutputFile(argv.out, '--out', 'model.onnx');
    const started = Date.now();
    const result = await exportOnnx(argv.weights, {
      out: argv.out,
      dynamicBatch: argv['dynamic-batch'],
      batchSize: argv.batch,
      opset: argv.opset,
    });
    const seconds = (Date.now() - started) / 1000;
    const dims = (d: (number | string)[]) => `[${d.join(', ')}]`;
    console.error(
      `${argv.out}: ONNX opset ${result.opset}, ${(fs.statSync(argv.out).size / 2 ** 20).toFixed(1)} MiB, ` +
        `${result.nodes} nodes, ${result.foldedBatchNorms} BatchNorms folded, in ${seconds.toFixed(1)} s`,
    );
    console.error(`input ${dims(result.input.dims)} float32 NHWC RGB 0..255 (normalised inside the graph)`);
    console.error(`outputs ${result.outputs.map((o) => `${o.name} ${dims(o.dims)}`).join(', ')}`);
    emitJson(argv, { weights: argv.weights, ...result, seconds });
  },
};

export default cmd;
