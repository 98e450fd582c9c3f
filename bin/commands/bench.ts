/**
 * `vgg2-torch bench train|infer ...`: one JSON line on stdout (logs on stderr), the same work and
 * fields as ../shared/reference/torch_bench.py; `bench loader` (bench-loader.ts) as loader_bench.py.
 */
import type { Argv, CommandModule } from 'yargs';
import { benchStep } from '../../lib/bench/step-bench';
import { info } from '../../lib/info';
import benchDdp from './bench-ddp';
import benchLoader from './bench-loader';
import { emitJson, inputSize, inputSizeOption, jsonOption, type InputSizeArgs, type JsonArgs } from './common-flags';
import { ARCHS, type Arch } from '../../lib/archs';

interface StepArgs extends InputSizeArgs, JsonArgs {
  arch: Arch;
  batch: number;
  classes: number;
  amp: 'auto' | 'off' | 'bf16';
  'channels-last': boolean;
  threads?: number;
  steps: number;
  warmup: number;
  verbose: boolean;
  int8?: 'dynamic' | 'static';
  weights?: string;
}

function stepOptions(y: Argv): Argv<StepArgs> {
  return jsonOption(inputSizeOption(y, 'Input height and width (px)', '112'))
    .option('arch', { choices: ARCHS, default: 'resnet50' as const, describe: 'network' })
    .option('batch', { type: 'number', default: 16, describe: 'batch size' })
    .option('classes', { type: 'number', default: 8631, describe: 'classifier size' })
    .option('amp', {
      choices: ['auto', 'off', 'bf16'] as const,
      default: 'auto' as const,
      describe: 'Mixed precision (auto: bf16 autocast on a CPU with bf16 instructions, as in train)',
    })
    .option('channels-last', { type: 'boolean', default: false, describe: 'channels_last memory format' })
    .option('threads', { type: 'number', describe: 'LibTorch threads (default: VGG2_THREADS or every core)' })
    .option('steps', { type: 'number', default: 10, describe: 'timed steps (the median is reported)' })
    .option('warmup', { type: 'number', default: 3, describe: 'untimed steps first' })
    .option('verbose', { type: 'boolean', default: false, describe: 'log each step on stderr' })
    .option('int8', {
      choices: ['dynamic', 'static'] as const,
      describe: 'infer: int8 Linear layers (dynamic) or the whole network (static, 8 random calibration batches)',
    })
    .option('weights', { type: 'string', describe: 'infer: run this weights file (e.g. one quantize wrote)' })
    .check((a) => {
      for (const k of ['batch', 'classes', 'steps'] as const) {
        if (!Number.isInteger(a[k]) || a[k] < 1) throw new Error(`--${k} must be a positive integer`);
      }
      if ((a.int8 || a.weights) && a._[1] === 'train') throw new Error('--int8 and --weights are for bench infer');
      const size = inputSize(a, 112);
      if (!Number.isInteger(size) || size < 32) throw new Error('--input-size must be an integer of at least 32');
      if (!Number.isInteger(a.warmup) || a.warmup < 0) throw new Error('--warmup must be a non-negative integer');
      return true;
    })
    .strict() as unknown as Argv<StepArgs>;
}

function stepCommand(mode: 'train' | 'infer'): CommandModule<object, StepArgs> {
  return {
    command: mode,
    describe:
      mode === 'train'
        ? 'Throughput of one training step (forward, loss, backward, SGD)'
        : 'Throughput of one inference forward',
    builder: stepOptions,
    handler: async (a) => {
      const result = await benchStep(
        {
          arch: a.arch,
          mode,
          size: inputSize(a, 112),
          batch: a.batch,
          classes: a.classes,
          amp: a.amp === 'auto' ? (info().bf16 ? 'bf16' : 'off') : a.amp,
          channelsLast: a['channels-last'],
          threads: a.threads,
          steps: a.steps,
          warmup: a.warmup,
          int8: a.int8,
          weights: a.weights,
        },
        a.verbose ? (line) => console.error(line) : undefined,
      );
      // The JSON line always goes to stdout (benchmarks/ reads it); --json FILE also keeps it.
      if (emitJson(a, result) !== 'stdout') console.log(JSON.stringify(result));
    },
  };
}

const command: CommandModule = {
  command: 'bench <what>',
  describe: 'Measure throughput (one JSON line on stdout): train | infer | loader | ddp',
  builder: (y) =>
    y
      .command(stepCommand('train'))
      .command(stepCommand('infer'))
      .command(benchLoader)
      .command(benchDdp)
      .demandCommand(1)
      .strict(),
  handler: () => {},
};

export default command;
