/**
 * `vgg2-torch bench ddp --ranks N`: data-parallel step throughput on this machine (c10d Gloo over
 * loopback), one JSON line like ../shared/reference/ddp_bench.py. Starts its ranks itself, as
 * `train --nproc-per-node` does.
 */
import type { Argv, CommandModule } from 'yargs';
import { benchDdpRank } from '../../lib/bench/ddp-bench';
import { launch, LAUNCHED_ENV, watchLauncher } from '../../lib/dist/launcher';
import { distributedFromEnv } from '../../lib/dist/options';
import { info } from '../../lib/info';
import { ARCHS, type Arch } from '../../lib/archs';

interface DdpArgs {
  ranks: number;
  arch: Arch;
  size: number;
  batch: number;
  amp: 'auto' | 'off' | 'bf16';
  'channels-last': boolean;
  steps: number;
  warmup: number;
  port: number;
}

const command: CommandModule<object, DdpArgs> = {
  command: 'ddp',
  describe: 'Throughput of data-parallel training steps (N local ranks, c10d Gloo) and one gradient all-reduce',
  builder: (y: Argv) =>
    y
      .option('ranks', { type: 'number', default: 2, describe: 'local ranks' })
      .option('arch', { choices: ARCHS, default: 'resnet50' as const })
      .option('size', { type: 'number', default: 112, describe: 'input height and width (px)' })
      .option('batch', { type: 'number', default: 8, describe: 'images per rank per step' })
      .option('amp', { choices: ['auto', 'off', 'bf16'] as const, default: 'off' as const })
      .option('channels-last', { type: 'boolean', default: false })
      .option('steps', { type: 'number', default: 8, describe: 'timed steps (median reported)' })
      .option('warmup', { type: 'number', default: 2 })
      .option('port', { type: 'number', default: 29511, describe: "rank 0's rendezvous port" })
      .check((a) => {
        for (const k of ['ranks', 'size', 'batch', 'steps'] as const)
          if (!Number.isInteger(a[k]) || a[k] < 1) throw new Error(`--${k} must be a positive integer`);
        return true;
      })
      .strict() as unknown as Argv<DdpArgs>,
  handler: async (a) => {
    if (process.env[LAUNCHED_ENV] !== '1') {
      const r = await launch({ nprocPerNode: a.ranks, masterPort: a.port, timeoutS: 600 });
      process.exitCode = r.exitCode;
      return;
    }
    watchLauncher();
    const result = await benchDdpRank(
      {
        arch: a.arch,
        size: a.size,
        batch: a.batch,
        amp: a.amp === 'auto' ? (info().bf16 ? 'bf16' : 'off') : a.amp,
        channelsLast: a['channels-last'],
        steps: a.steps,
        warmup: a.warmup,
      },
      distributedFromEnv()!,
    );
    if (result) console.log(JSON.stringify(result));
  },
};

export default command;
