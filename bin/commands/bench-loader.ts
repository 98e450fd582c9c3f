/** `vgg2-torch bench loader --data DIR | --cache F`: one JSON line, the same work as loader_bench.py. */
import type { Argv, CommandModule } from 'yargs';
import { benchLoader, type LoaderBenchOptions } from '../../lib/bench/loader-bench';
import { emitJson, inputSize, inputSizeOption, jsonOption, type InputSizeArgs, type JsonArgs } from './common-flags';

type LoaderArgs = Omit<LoaderBenchOptions, 'seed' | 'size'> & InputSizeArgs & JsonArgs;

const command: CommandModule<object, LoaderArgs> = {
  command: 'loader',
  describe: 'Throughput of the data loader (decode, resize, random crop, flip, gray) into uint8 batches',
  builder: (y: Argv) =>
    jsonOption(inputSizeOption(y, 'Output height and width (px)', '112'))
      .option('data', { type: 'string', describe: 'image folder (one sub-folder per identity)' })
      .option('cache', { type: 'string', describe: 'cache made by `vgg2-torch prepare`' })
      .option('batch', { type: 'number', default: 32, describe: 'batch size' })
      .option('workers', { type: 'number', describe: 'native decoding threads (default: every core)' })
      .option('decoder', {
        choices: ['native', 'sharp'] as const,
        describe: 'default: native when built with TurboJPEG',
      })
      .option('batches', { type: 'number', default: 40, describe: 'timed batches (after 3 warm-up ones)' })
      .check((a) => {
        if (!a.data === !a.cache) throw new Error('give exactly one of --data or --cache');
        for (const k of ['batch', 'batches'] as const)
          if (!Number.isInteger(a[k]) || a[k] < 1) throw new Error(`--${k} must be a positive integer`);
        const size = inputSize(a, 112);
        if (!Number.isInteger(size) || size < 1) throw new Error('--input-size must be a positive integer');
        if (a.workers !== undefined && (!Number.isInteger(a.workers) || a.workers < 1))
          throw new Error('--workers must be a positive integer');
        return true;
      })
      .strict() as unknown as Argv<LoaderArgs>,
  handler: async (a) => {
    const result = await benchLoader({
      data: a.data,
      cache: a.cache,
      size: inputSize(a, 112),
      batch: a.batch,
      workers: a.workers,
      decoder: a.decoder,
      batches: a.batches,
    });
    if (emitJson(a, result) !== 'stdout') console.log(JSON.stringify(result));
  },
};

export default command;
