import type { Argv, CommandModule } from 'yargs';
import { ConfigError, DEMO_DEFAULTS, readConfigFile, trainConfigSchema, type TrainConfigInput } from '../../lib/train/config';
import { attachProgress } from '../../lib/train/progress';
import { configForResume, Trainer } from '../../lib/train/trainer';

type Kind = 'string' | 'number' | 'boolean';

/** Flag → config key, type, description; defaults are shown from the schema, never injected. */
const FLAGS: [flag: string, key: keyof TrainConfigInput, kind: Kind, describe: string, choices?: readonly string[]][] = [
  ['data', 'data', 'string', 'VGGFace2 root or image folder (one sub-folder per identity)'],
  ['cache', 'cache', 'string', 'LMDB cache made by `vgg2-torch prepare`'],
  ['images', 'images', 'string', "VGGFace2: folder of the train split's identity folders (default <data>/train)"],
  ['demo', 'demo', 'boolean', `Synthetic demo data (made once in ~/.cache/vgg2-torch) and small settings: ${JSON.stringify(DEMO_DEFAULTS)}`],
  ['name', 'name', 'string', 'Run name: the run folder is runs/<name>/ unless --out'],
  ['out', 'out', 'string', 'Run folder, exactly (config.json, metrics.jsonl, checkpoints/, model.safetensors)'],
  ['arch', 'arch', 'string', 'Network', ['resnet50', 'senet50']],
  ['embedding-dim', 'embeddingDim', 'number', 'Low-dimensional embedding before the classifier (0: none)'],
  ['epochs', 'epochs', 'number', 'Epochs'],
  ['max-steps', 'maxSteps', 'number', 'Stop after this many optimizer steps (the schedule still spans --epochs)'],
  ['batch-size', 'batchSize', 'number', 'Images per batch'],
  ['accumulate', 'accumulate', 'number', 'Gradient accumulation: batches per update (effective batch = batch × accumulate)'],
  ['lr', 'lr', 'number', 'Peak learning rate [default: 0.1 × batch × accumulate / 256]'],
  ['momentum', 'momentum', 'number', 'SGD momentum'],
  ['weight-decay', 'weightDecay', 'number', 'SGD weight decay'],
  ['schedule', 'schedule', 'string', 'lr schedule after warmup: ×gamma at milestones, cosine to min-lr, or ÷10 on a validation plateau', ['step', 'cosine', 'plateau']],
  ['warmup-epochs', 'warmupEpochs', 'number', 'Linear warmup length in epochs'],
  ['milestones', 'milestones', 'number', 'step schedule: epochs where lr × gamma (repeat the flag or give a list)'],
  ['gamma', 'gamma', 'number', 'step / plateau decay factor'],
  ['patience', 'patience', 'number', 'plateau: evaluations without improvement before a decay'],
  ['min-lr', 'minLr', 'number', 'Floor of the cosine and plateau schedules'],
  ['loss', 'loss', 'string', 'Classifier loss', ['softmax', 'arcface', 'cosface']],
  ['label-smoothing', 'labelSmoothing', 'number', 'Label smoothing'],
  ['class-weights', 'classWeights', 'boolean', 'Inverse-frequency class weights (unbalanced identities)'],
  ['margin-scale', 'marginScale', 'number', 'ArcFace / CosFace scale s [default: 64]'],
  ['margin', 'margin', 'number', 'ArcFace / CosFace margin m [default: 0.5 ArcFace, 0.35 CosFace]'],
  ['amp', 'amp', 'string', 'Mixed precision (auto: bf16 on a CPU with bf16 instructions, fp16 with loss scaling on CUDA)', ['auto', 'bf16', 'fp16', 'off']],
  ['channels-last', 'channelsLast', 'string', 'channels_last memory format (auto: on; faster on CUDA and on CPU with oneDNN)', ['auto', 'true', 'false']],
  ['device', 'device', 'string', "'cpu', 'cuda', 'cuda:N' or 'auto'"],
  ['threads', 'threads', 'number', 'LibTorch threads (0: its default)'],
  ['input-size', 'inputSize', 'number', 'Network input side [default: the cache’s, else 224]'],
  ['crop', 'crop', 'string', 'Face crop: loose box ×1.3, 5-point alignment, or whole image [default: the cache’s, else loose]', ['loose', 'align', 'none']],
  ['box-extend', 'boxExtend', 'number', 'Loose-box enlargement [default: 0.3]'],
  ['workers', 'workers', 'number', 'Images decoded at once [default: 2 × cores]'],
  ['memory-cache-mb', 'memoryCacheMb', 'number', 'Decoded images kept in memory across epochs, MB (0: decode every epoch)'],
  ['balanced', 'balanced', 'boolean', 'Class-balanced batches (batch / images-per-class identities per batch)'],
  ['images-per-class', 'imagesPerClass', 'number', 'Balanced batches: images per identity'],
  ['holdout-per-class', 'holdoutPerClass', 'number', 'Closed-set validation: images held out per identity, chosen with the seed (0: no validation)'],
  ['eval-every', 'evalEvery', 'number', 'Validate every N epochs (and always after the last)'],
  ['seed', 'seed', 'number', 'Seed of the initial weights, the split, the data order and the augmentation'],
  ['log-every', 'logEvery', 'number', 'Log lines and metrics.jsonl records every N steps'],
  ['checkpoint-every', 'checkpointEvery', 'number', 'Checkpoint every N epochs'],
  ['checkpoint-every-steps', 'checkpointEverySteps', 'number', 'Also checkpoint every N steps'],
  ['keep-checkpoints', 'keepCheckpoints', 'number', 'Checkpoints kept (plus best.safetensors)'],
  ['init', 'init', 'string', 'Fine-tune from these weights (safetensors, PyTorch state_dict or checkpoint); a classifier of another size is replaced'],
  ['freeze-backbone', 'freezeBackbone', 'boolean', 'Fine-tuning: train the classifier only'],
  ['backbone-lr-scale', 'backboneLrScale', 'number', "Fine-tuning: the backbone's lr = lr × this"],
  ['strict-data', 'strictData', 'boolean', 'Fail on the first unusable image instead of skipping it'],
];

interface Args {
  config?: string;
  resume?: string;
  progress: 'auto' | 'bar' | 'lines';
  [key: string]: unknown;
}

const SCHEMA_DEFAULTS = trainConfigSchema.parse({}) as Record<string, unknown>;

function builder(y: Argv): Argv<Args> {
  let out = y
    .option('config', { type: 'string', describe: 'JSON or YAML config file (keys as in the Trainer API; flags override it)' })
    .option('resume', { type: 'string', describe: 'Continue a run: its folder (--out DIR) or a checkpoint file' })
    .option('progress', { choices: ['auto', 'bar', 'lines'] as const, default: 'auto' as const, describe: 'Progress display (auto: a bar on a TTY, lines otherwise)' });
  for (const [flag, key, kind, describe, choices] of FLAGS) {
    const def = SCHEMA_DEFAULTS[key];
    out = out.option(flag, {
      type: kind === 'number' && key === 'milestones' ? 'array' : kind,
      describe,
      choices,
      defaultDescription: def === undefined ? undefined : JSON.stringify(def),
    }) as typeof out;
  }
  return out.strict() as unknown as Argv<Args>;
}

/** The config the flags describe: the file's, then every flag given on the command line. */
export function configFromArgs(argv: Args): TrainConfigInput {
  const config: Record<string, unknown> = argv.config ? { ...readConfigFile(argv.config) } : {};
  for (const [flag, key, kind] of FLAGS) {
    let v = argv[flag];
    if (v === undefined) continue;
    if (key === 'channelsLast') v = v === 'auto' ? 'auto' : v === 'true';
    if (key === 'milestones') v = (v as (string | number)[]).flatMap((m) => String(m).split(',')).map(Number);
    if (kind === 'number' && key !== 'milestones' && Number.isNaN(v)) throw new ConfigError(`--${flag}: expected a number`);
    config[key] = v;
  }
  return config as TrainConfigInput;
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
    process.stderr.write(`\n${signal}: stopping at the next step boundary and saving a checkpoint (Ctrl-C again to exit at once)\n`);
    stop.abort();
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return () => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
}

const cmd: CommandModule<{}, Args> = {
  command: 'train',
  describe: 'Train a face classifier (ResNet-50 / SE-ResNet-50): from a dataset, a prepared cache, or --demo data',
  builder,
  handler: async (argv) => {
    let trainer: Trainer;
    if (argv.resume) {
      const given = FLAGS.filter(([flag]) => argv[flag] !== undefined).map(([flag]) => `--${flag}`);
      if (given.length || argv.config) throw new ConfigError(`--resume continues the run with its own config; drop ${[...given, ...(argv.config ? ['--config'] : [])].join(' ')}`);
      const { config, checkpoint } = configForResume(argv.resume);
      trainer = new Trainer(config, { resume: checkpoint ?? true });
    } else trainer = new Trainer(configFromArgs(argv));
    const tty = process.stderr.isTTY === true;
    const detach = attachProgress(trainer, process.stderr, argv.progress === 'auto' ? (tty ? 'bar' : 'lines') : argv.progress);
    const stop = new AbortController();
    const resumeHint = () => `Resume with: npx vgg2-torch train --resume ${JSON.stringify(trainer.run.dir)}`;
    const release = handleSignals(stop, resumeHint);
    try {
      const r = await trainer.fit({ signal: stop.signal });
      detach();
      const s = r.state;
      if (r.status === 'stopped') {
        process.stderr.write(`stopped at step ${s.step}/${s.totalSteps}; checkpoint ${r.checkpoint}\n${resumeHint()}\n`);
        process.exitCode = 130;
        return;
      }
      if (r.status === 'already-complete') {
        process.stderr.write(`the run in ${r.runDir} is already complete: ${r.model}\n${r.report ? `report: ${r.report}\n` : ''}`);
        return;
      }
      const val = s.valTop1 !== undefined ? `, held-out top-1 ${(100 * s.valTop1).toFixed(1)}% top-5 ${(100 * (s.valTop5 ?? 0)).toFixed(1)}%` : '';
      process.stderr.write(`done: ${s.step} steps in ${s.seconds.toFixed(1)} s${val}\nmodel: ${r.model}\n${r.report ? `report: ${r.report}\n` : ''}run folder: ${r.runDir}\n`);
    } finally {
      detach();
      release();
    }
  },
};

export default cmd;
