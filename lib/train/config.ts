/**
 * The training configuration: one flat schema (zod) shared by the API, config files (JSON/YAML) and
 * the CLI flags. Unknown keys and wrong types are errors naming the key and the expected type;
 * `resolveConfig` fills the recipe's defaults (the tutorial's: SGD, lr 0.1 × batch / 256, momentum
 * 0.9, weight decay 5e-4, batch 256, ×0.1 at epochs 30 and 60, 90 epochs, linear warmup).
 */
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { z } from 'zod';
import { RECIPE_DEFAULTS } from '../recipe';

const int = (min: number) => z.number().int().min(min);

const augmentSchema = z
  .object({
    flip: z.boolean(),
    randomCrop: z.boolean(),
    grayProb: z.number().min(0).max(1),
    brightness: z.number().min(0).max(1),
    contrast: z.number().min(0).max(1),
    saturation: z.number().min(0).max(1),
    scale: z.tuple([z.number().positive(), z.number().positive()]),
    rotate: z.number().min(0).max(180),
  })
  .partial()
  .strict();

export const trainConfigSchema = z
  .object({
    /** Run name: the run folder is runs/<name>/ unless `out` is given. */
    name: z.string().min(1).default('run'),
    /** VGGFace2 root or image folder (or a cache; `cache` says so explicitly). */
    data: z.string().min(1).optional(),
    /** LMDB cache made by `vgg2-torch prepare`. */
    cache: z.string().min(1).optional(),
    /** VGGFace2 only: folder of the train split's identity folders, when not <data>/train. */
    images: z.string().min(1).optional(),
    /** Synthetic demo data (made on first use in `demoDir`), with the demo's small settings as defaults. */
    demo: z.boolean().default(false),
    demoDir: z.string().min(1).optional(),
    /** Run folder, exactly (default runs/<name>/). */
    out: z.string().min(1).optional(),
    arch: z.enum(['resnet50', 'senet50']).default('resnet50'),
    embeddingDim: int(0).default(0),
    epochs: int(1).default(90),
    /** Stop after this many optimizer steps (tests, benchmarks); the schedule still spans `epochs`. */
    maxSteps: int(1).optional(),
    batchSize: int(1).default(256),
    /** Gradient accumulation: one update per `accumulate` batches (effective batch = batch × accumulate). */
    accumulate: int(1).default(1),
    /** Peak lr; default 0.1 × effective batch / 256. */
    lr: z.number().positive().optional(),
    momentum: z.number().min(0).max(1).default(RECIPE_DEFAULTS.momentum),
    weightDecay: z.number().min(0).default(RECIPE_DEFAULTS.weightDecay),
    nesterov: z.boolean().default(false),
    schedule: z.enum(['step', 'cosine', 'plateau']).default('step'),
    /** Linear warmup from ~0 to lr over this many epochs (fractions allowed). */
    warmupEpochs: z.number().min(0).default(2),
    /** step: epochs at which the lr is multiplied by `gamma`. */
    milestones: z.array(int(1)).default([30, 60]),
    gamma: z.number().positive().max(1).default(0.1),
    /** plateau: evaluations without a better validation error before lr × gamma. */
    patience: int(0).default(2),
    minLr: z.number().min(0).default(0),
    loss: z.enum(['softmax', 'arcface', 'cosface']).default('softmax'),
    labelSmoothing: z.number().min(0).lt(1).default(0),
    /** Inverse-frequency class weights in the cross-entropy (for unbalanced identities). */
    classWeights: z.boolean().default(false),
    /** Margin losses: scale s (default 64) and margin m (default 0.5 ArcFace, 0.35 CosFace). */
    marginScale: z.number().positive().optional(),
    margin: z.number().min(0).optional(),
    amp: z.enum(['auto', 'bf16', 'fp16', 'off']).default('auto'),
    /** auto: off on CPU (measured slower here, see docs/training.md), on for CUDA. */
    channelsLast: z.union([z.boolean(), z.literal('auto')]).default('auto'),
    device: z.string().min(1).default('auto'),
    /** LibTorch intra-op threads (0 = LibTorch's default). */
    threads: int(0).default(0),
    /** Network input side; crop and box extension: default from the cache, else 224, loose, 0.3. */
    inputSize: int(32).optional(),
    crop: z.enum(['loose', 'align', 'none']).optional(),
    boxExtend: z.number().min(0).optional(),
    augment: augmentSchema.default({}),
    /** Images decoded at once (default: the loader's, 2 × cores). */
    workers: int(1).optional(),
    /** Decoded images kept in memory across epochs, in MB (0: decode every epoch; not for LMDB caches, which are read in place). */
    memoryCacheMb: int(0).default(1024),
    /** Class-balanced batches: batchSize / imagesPerClass identities per batch. */
    balanced: z.boolean().default(false),
    imagesPerClass: int(1).default(4),
    /** Closed-set validation: images held out per identity (chosen with the seed); 0 = no validation. */
    holdoutPerClass: int(0).default(2),
    evalEvery: int(1).default(1),
    evalBatchSize: int(1).optional(),
    seed: int(0).default(0),
    /** Plain log lines and metrics.jsonl "train" records every this many steps. */
    logEvery: int(1).default(20),
    /** Checkpoint every this many epochs, and (when set) every this many steps. */
    checkpointEvery: int(1).default(1),
    checkpointEverySteps: int(1).optional(),
    keepCheckpoints: int(1).default(3),
    /** Fine-tuning: start from these weights (safetensors, PyTorch state_dict or a checkpoint). */
    init: z.string().min(1).optional(),
    freezeBackbone: z.boolean().default(false),
    /** Fine-tuning: the backbone's lr = lr × this (the new classifier's is lr). */
    backboneLrScale: z.number().min(0).max(1).default(1),
    strictData: z.boolean().default(false),
  })
  .strict();

/** What a user writes: every key optional. */
export type TrainConfigInput = z.input<typeof trainConfigSchema>;
/** After defaults: what the Trainer runs and config.json records. */
export type TrainConfig = z.output<typeof trainConfigSchema> & { lr: number; out: string; marginScale: number; margin: number };

/** The demo's small settings: a few CPU minutes, held-out top-1 far above chance. */
export const DEMO_DEFAULTS: Partial<TrainConfigInput> = {
  name: 'demo',
  epochs: 8,
  batchSize: 16,
  lr: 0.01,
  inputSize: 64,
  schedule: 'cosine',
  warmupEpochs: 1,
  holdoutPerClass: 4,
  logEvery: 5,
};

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

/** One line per problem: `config.key: expected number, got string "abc"`. */
function describeIssues(error: z.ZodError, input: unknown, where: string): string {
  return error.issues
    .map((issue) => {
      const key = issue.path.join('.') || '(root)';
      let value: unknown = input;
      for (const k of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey];
      switch (issue.code) {
        case 'unrecognized_keys':
          return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${[...issue.path, k].join('.')}'`).join(', ')}`;
        case 'invalid_type':
          return `${where}.${key}: expected ${issue.expected}, got ${typeName(value)}${value === undefined ? '' : ` ${JSON.stringify(value)}`}`;
        case 'invalid_value':
          return `${where}.${key}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`;
        default:
          return `${where}.${key}: ${issue.message}${value === undefined ? '' : `, got ${JSON.stringify(value)}`}`;
      }
    })
    .join('\n');
}

export class ConfigError extends Error {}

/** Validates a config object; throws ConfigError naming every bad key. `where` prefixes messages (e.g. a file name). */
export function parseConfig(input: unknown, where = 'config'): z.output<typeof trainConfigSchema> {
  const r = trainConfigSchema.safeParse(input);
  if (!r.success) throw new ConfigError(describeIssues(r.error, input, where));
  return r.data;
}

/** Reads a JSON or YAML config file (by extension; YAML is a superset of JSON for anything else). */
export function readConfigFile(file: string): TrainConfigInput {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const value: unknown = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true });
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('the top level must be a mapping of keys to values');
    return value as TrainConfigInput;
  } catch (e) {
    throw new ConfigError(`${file}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** The default lr for an effective batch: 0.1 per 256 images, scaled linearly. */
export function defaultLr(batchSize: number, accumulate: number): number {
  return (0.1 * batchSize * accumulate) / 256;
}

/**
 * Validates and fills defaults: demo settings under the user's, the lr scaled with the batch, the
 * margins by loss, the run folder. Cross-key rules are checked here too.
 */
export function resolveConfig(input: TrainConfigInput, where = 'config'): TrainConfig {
  const raw = input.demo ? { ...DEMO_DEFAULTS, ...input } : input;
  const c = parseConfig(raw, where);
  const problems: string[] = [];
  if (!c.demo && !c.data && !c.cache) problems.push(`${where}: give 'data' (dataset folder), 'cache' (prepared LMDB) or 'demo: true'`);
  if ([c.demo, !!c.data, !!c.cache].filter(Boolean).length > 1) problems.push(`${where}: 'data', 'cache' and 'demo' are alternatives: give one`);
  if (c.balanced && c.batchSize % c.imagesPerClass !== 0) problems.push(`${where}.batchSize: must be a multiple of imagesPerClass (${c.imagesPerClass}) for balanced batches, got ${c.batchSize}`);
  if (c.freezeBackbone && !c.init) problems.push(`${where}.freezeBackbone: needs 'init' (weights to fine-tune)`);
  const sorted = [...c.milestones].sort((a, b) => a - b);
  if (sorted.some((m, i) => m !== c.milestones[i])) problems.push(`${where}.milestones: must be increasing, got ${JSON.stringify(c.milestones)}`);
  if (c.augment.scale && c.augment.scale[0] > c.augment.scale[1]) problems.push(`${where}.augment.scale: [min, max] with min ≤ max`);
  if (problems.length) throw new ConfigError(problems.join('\n'));
  return {
    ...c,
    lr: c.lr ?? defaultLr(c.batchSize, c.accumulate),
    out: path.resolve(c.out ?? path.join('runs', c.name)),
    marginScale: c.marginScale ?? RECIPE_DEFAULTS.marginScale,
    margin: c.margin ?? RECIPE_DEFAULTS.margin[c.loss],
  };
}
