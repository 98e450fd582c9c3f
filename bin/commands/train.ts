import * as path from 'path';
import type { Argv, CommandModule } from 'yargs';
import {
  ConfigError,
  DEMO_DEFAULTS,
  readConfigFile,
  trainConfigSchema,
  type TrainConfigInput,
} from '../../lib/train/config';
import { distributedFromEnv, DEFAULT_MASTER_PORT, DEFAULT_TIMEOUT_S } from '../../lib/dist/options';
import { launch, LAUNCHED_ENV, watchLauncher } from '../../lib/dist/launcher';
import { attachProgress, PROGRESS_LEGEND } from '../../lib/train/progress';
import { configForResume, Trainer } from '../../lib/train/trainer';
import { strictOption } from './common-flags';
import { addFlags, flagValues, schemaFlags } from './schema-flags';

/** Every config key with a description, as a kebab-case flag. */
const FLAGS = schemaFlags(trainConfigSchema).map((f) =>
  f.key === 'demo' ? { ...f, describe: `${f.describe}: ${JSON.stringify(DEMO_DEFAULTS)}` } : f,
);

interface Args {
  config?: string;
  resume?: string;
  progress: 'auto' | 'bar' | 'lines';
  nprocPerNode?: number;
  nnodes: number;
  nodeRank: number;
  masterAddr?: string;
  masterPort: number;
  distTimeout: number;
  [key: string]: unknown;
}

function builder(y: Argv): Argv<Args> {
  const out = y
    .option('config', {
      type: 'string',
      describe: 'JSON or YAML config file (keys as in the Trainer API; flags override it)',
    })
    .option('resume', { type: 'string', describe: 'Continue a run: its folder (--out DIR) or a checkpoint file' })
    .option('progress', {
      choices: ['auto', 'bar', 'lines'] as const,
      default: 'auto' as const,
      describe: 'Progress display (auto: a bar on a TTY, lines otherwise)',
    })
    .option('nproc-per-node', {
      type: 'number',
      describe: 'Data-parallel training: start this many ranks on this machine (c10d Gloo), as torchrun',
    })
    .option('nnodes', { type: 'number', default: 1, describe: 'Machines in the job (each runs this command)' })
    .option('node-rank', { type: 'number', default: 0, describe: "This machine's index in [0, nnodes)" })
    .option('master-addr', { type: 'string', describe: 'Address of node 0, where rank 0 listens (default 127.0.0.1)' })
    .option('master-port', { type: 'number', default: DEFAULT_MASTER_PORT, describe: "Rank 0's rendezvous port" })
    .option('dist-timeout', {
      type: 'number',
      default: DEFAULT_TIMEOUT_S,
      describe: 'Seconds a rank waits for the others before failing (covers rank 0 validating)',
    })
    .group(['nproc-per-node', 'nnodes', 'node-rank', 'master-addr', 'master-port', 'dist-timeout'], 'Distributed:');
  return addFlags(strictOption(out, 'Same as --strict-data (the flag every data-reading command shares)'), FLAGS)
    .epilog(PROGRESS_LEGEND)
    .strict() as unknown as Argv<Args>;
}

/** The config the flags describe: the file's, then every flag given on the command line. */
export function configFromArgs(argv: Args): TrainConfigInput {
  const file = argv.config ? readConfigFile(argv.config) : {};
  const strict = argv.strict === undefined ? {} : { strictData: argv.strict };
  return { ...file, ...strict, ...flagValues(argv, FLAGS, (m) => new ConfigError(m)) } as TrainConfigInput;
}

/** A shell word: quoted only when it needs to be. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * How to run this CLI again from the current folder: the way it was invoked (process.argv[1]), as a
 * path relative to the cwd when that is shorter; `vgg2-torch` when it was found on the PATH.
 */
export function cliCommand(script = process.argv[1] ?? 'vgg2-torch', cwd = process.cwd()): string {
  const abs = path.resolve(script);
  const onPath = (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((d) => d && path.resolve(d, path.basename(abs)) === abs && path.basename(abs) === 'vgg2-torch');
  if (onPath) return 'vgg2-torch';
  const rel = path.relative(cwd, abs);
  const shown = rel.length < abs.length ? (rel.startsWith('.') ? rel : `./${rel}`) : abs;
  // The shim is a node script (bin/vgg2-torch.js): run it with node unless it is the installed executable link.
  return shown.endsWith('.js') ? `node ${shellWord(shown)}` : shellWord(shown);
}

/** The command that continues the run in `dir`, valid from the current folder. */
export function resumeCommand(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  const shown = rel && rel.length < dir.length && !path.isAbsolute(rel) ? rel : dir;
  return `${cliCommand()} train --resume ${shellWord(shown)}`;
}

function handleSignals(stop: AbortController, resumeHint: () => string): () => void {
  let count = 0;
  const on = (signal: NodeJS.Signals) => {
    count++;
    if (count > 1) {
      // Checkpoints are written atomically: leaving mid-write cannot corrupt one.
      process.stderr.write(`\n${signal} again: exiting now. ${resumeHint()}\n`);
      process.exit(130);
    }
    process.stderr.write(
      `\n${signal}: stopping at the next step boundary and saving a checkpoint (Ctrl-C again to exit at once)\n`,
    );
    stop.abort();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return () => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
}

/** A rank other than 0: its warnings, prefixed with its rank; no progress. */
function quietRank(trainer: Trainer, rank: number): () => void {
  const onLog = (m: string) => {
    if (m.startsWith('warning')) process.stderr.write(`[rank ${rank}] ${m}\n`);
  };
  trainer.on('log', onLog);
  return () => trainer.off('log', onLog);
}

const cmd: CommandModule<object, Args> = {
  command: 'train',
  describe: 'Train a face classifier (ResNet-18/34/50, SE-ResNets, MobileFaceNet): from a dataset, a cache or --demo',
  builder,
  handler: async (argv) => {
    // The launcher: N local workers running this same command line (they see RANK in their environment).
    if (argv.nprocPerNode !== undefined && process.env[LAUNCHED_ENV] !== '1') {
      const r = await launch({
        nprocPerNode: argv.nprocPerNode,
        nnodes: argv.nnodes,
        nodeRank: argv.nodeRank,
        masterAddr: argv.masterAddr,
        masterPort: argv.masterPort,
        timeoutS: argv.distTimeout,
      });
      process.exitCode = r.exitCode;
      return;
    }
    watchLauncher();
    const distributed = distributedFromEnv();
    const options = distributed ? { distributed } : {};
    let trainer: Trainer;
    if (argv.resume) {
      const given = FLAGS.filter((f) => argv[f.flag] !== undefined).map((f) => `--${f.flag}`);
      if (argv.config) given.push('--config');
      const drop = given.join(' ');
      if (given.length) throw new ConfigError(`--resume continues the run with its own config; drop ${drop}`);
      const { config, checkpoint } = configForResume(argv.resume);
      trainer = new Trainer(config, { ...options, resume: checkpoint ?? true });
    } else trainer = new Trainer(configFromArgs(argv), options);
    const tty = process.stderr.isTTY === true;
    // Rank 0 speaks for the job; the others say only what goes wrong with them.
    const detach = trainer.writer
      ? attachProgress(trainer, process.stderr, argv.progress === 'auto' ? (tty ? 'bar' : 'lines') : argv.progress)
      : quietRank(trainer, distributed?.rank ?? 0);
    const stop = new AbortController();
    const resumeHint = () => `Resume with: ${resumeCommand(trainer.run.dir)}`;
    const release = handleSignals(stop, resumeHint);
    try {
      const r = await trainer.fit({ signal: stop.signal });
      detach();
      const s = r.state;
      if (!trainer.writer) {
        process.exitCode = r.status === 'stopped' ? 130 : 0;
        return;
      }
      if (r.status === 'stopped') {
        process.stderr.write(
          `stopped at step ${s.step}/${s.totalSteps}; checkpoint ${r.checkpoint}\n${resumeHint()}\n`,
        );
        process.exitCode = 130;
        return;
      }
      if (r.status === 'already-complete') {
        process.stderr.write(
          `the run in ${r.runDir} is already complete: ${r.model}\n${r.report ? `report: ${r.report}\n` : ''}`,
        );
        return;
      }
      const val =
        s.valTop1 !== undefined
          ? `, held-out top-1 ${(100 * s.valTop1).toFixed(1)}% top-5 ${(100 * (s.valTop5 ?? 0)).toFixed(1)}%`
          : '';
      process.stderr.write(
        `done: ${s.step} steps in ${s.seconds.toFixed(1)} s${val}\nmodel: ${r.model}\n${r.report ? `report: ${r.report}\n` : ''}run folder: ${r.runDir}\n`,
      );
    } finally {
      detach();
      release();
    }
  },
};

export default cmd;
