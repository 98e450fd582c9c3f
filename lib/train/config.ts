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
import { ARCHS } from '../archs';

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

/** The flags' help text is each key's description; a key without one has no flag (`augment`: config files only). */
/** The distillation settings' defaults (lib/train/distill.ts): without a teacher they must stay so. */
const DISTILL_DEFAULTS = {
  distillLoss: 'cosine' as 'cosine' | 'mse',
  distillWeight: 1,
  hardWeight: 1,
  logitWeight: 0,
  temperature: 4,
  cacheTeacher: true,
  transferData: undefined as string | undefined,
  transferBatchSize: undefined as number | undefined,
};

export const trainConfigSchema = z
  .object({
    name: z.string().min(1).default('run').describe('Run name: the run folder is runs/<name>/ unless --out'),
    data: z.string().min(1).optional().describe('VGGFace2 root or image folder (one sub-folder per identity)'),
    cache: z.string().min(1).optional().describe('LMDB cache made by `vgg2-torch prepare`'),
    images: z
      .string()
      .min(1)
      .optional()
      .describe("VGGFace2: folder of the train split's identity folders (default <data>/train)"),
    demo: z.boolean().default(false).describe('Synthetic demo data (made once in --demo-dir) and small settings'),
    demoDir: z
      .string()
      .min(1)
      .optional()
      .describe('Where the demo data is made [default: ~/.cache/vgg2-torch/<version>]'),
    out: z
      .string()
      .min(1)
      .optional()
      .describe('Run folder, exactly (config.json, metrics.jsonl, checkpoints/, model.safetensors)'),
    force: z
      .boolean()
      .default(false)
      .describe('Start afresh in an existing run folder (--out): its checkpoints and model are replaced'),
    arch: z.enum(ARCHS).default('resnet50').describe('Network'),
    embeddingDim: int(0).default(0).describe('Low-dimensional embedding before the classifier (0: none)'),
    teacher: z
      .string()
      .min(1)
      .optional()
      .describe('Knowledge distillation: a trained model file whose embeddings (and logits) the student learns'),
    distillLoss: z
      .enum(['cosine', 'mse'])
      .default(DISTILL_DEFAULTS.distillLoss)
      .describe("With a teacher: pull the student's embedding to the teacher's by 1 − cos, or unit-vector MSE"),
    distillWeight: z
      .number()
      .min(0)
      .default(DISTILL_DEFAULTS.distillWeight)
      .describe('With a teacher: weight of the embedding term'),
    hardWeight: z
      .number()
      .min(0)
      .default(DISTILL_DEFAULTS.hardWeight)
      .describe('With a teacher: weight of the usual loss on the labels'),
    logitWeight: z
      .number()
      .min(0)
      .default(DISTILL_DEFAULTS.logitWeight)
      .describe('With a teacher of the same classes: weight of the KL term on its softened logits (0: off)'),
    temperature: z
      .number()
      .positive()
      .default(DISTILL_DEFAULTS.temperature)
      .describe('With --logit-weight: the softening temperature'),
    cacheTeacher: z
      .boolean()
      .default(DISTILL_DEFAULTS.cacheTeacher)
      .describe('With a teacher and augmentation off: its outputs computed once per image and reused (1 GiB at most)'),
    transferData: z
      .string()
      .min(1)
      .optional()
      .describe(
        "With a teacher: unlabelled faces (a transfer set: a folder, flat or not, or a prepared cache) that join every batch with the teacher's embedding as their only target",
      ),
    transferBatchSize: int(1).optional().describe('With --transfer-data: its images per batch [default: --batch-size]'),
    epochs: int(1).default(90).describe('Epochs'),
    maxSteps: int(1).optional().describe('Stop after this many optimizer steps (the schedule still spans --epochs)'),
    batchSize: int(1).default(256).describe('Images per batch'),
    accumulate: int(1)
      .default(1)
      .describe('Gradient accumulation: batches per update (effective batch = batch × accumulate)'),
    lr: z.number().positive().optional().describe('Peak learning rate [default: 0.1 × batch × accumulate / 256]'),
    momentum: z.number().min(0).max(1).default(RECIPE_DEFAULTS.momentum).describe('SGD momentum'),
    weightDecay: z.number().min(0).default(RECIPE_DEFAULTS.weightDecay).describe('SGD weight decay'),
    nesterov: z.boolean().default(false).describe('Nesterov momentum'),
    schedule: z
      .enum(['step', 'cosine', 'plateau'])
      .default('step')
      .describe('lr schedule after warmup: ×gamma at milestones, cosine to min-lr, or ÷10 on a validation plateau'),
    warmupEpochs: z.number().min(0).default(2).describe('Linear warmup from ~0 to lr, in epochs (fractions allowed)'),
    milestones: z
      .array(int(1))
      .default([30, 60])
      .describe('step schedule: epochs where lr × gamma (repeat the flag or give a list)'),
    gamma: z.number().positive().max(1).default(0.1).describe('step / plateau decay factor'),
    patience: int(0).default(2).describe('plateau: evaluations without a better validation error before a decay'),
    minLr: z.number().min(0).default(0).describe('Floor of the cosine and plateau schedules'),
    loss: z.enum(['softmax', 'arcface', 'cosface']).default('softmax').describe('Classifier loss'),
    labelSmoothing: z.number().min(0).lt(1).default(0).describe('Label smoothing'),
    classWeights: z
      .boolean()
      .default(false)
      .describe('Inverse-frequency class weights in the cross-entropy (unbalanced identities)'),
    marginScale: z
      .number()
      .positive()
      .optional()
      .describe(`ArcFace / CosFace scale s [default: ${RECIPE_DEFAULTS.marginScale}]`),
    margin: z
      .number()
      .min(0)
      .optional()
      .describe(
        `ArcFace / CosFace margin m [default: ${RECIPE_DEFAULTS.margin.arcface} ArcFace, ${RECIPE_DEFAULTS.margin.cosface} CosFace]`,
      ),
    amp: z
      .enum(['auto', 'bf16', 'fp16', 'off'])
      .default('auto')
      .describe('Mixed precision (auto: bf16 on a CPU with bf16 instructions, fp16 with loss scaling on CUDA)'),
    // 'auto' is on everywhere: faster on CUDA and, measured, on CPU with oneDNN too (docs/training.md).
    channelsLast: z
      .union([z.boolean(), z.literal('auto')])
      .default('auto')
      .describe('channels_last memory format (auto: on; faster on CUDA and on CPU with oneDNN)'),
    device: z.string().min(1).default('auto').describe("'cpu', 'cuda', 'cuda:N' or 'auto'"),
    threads: int(0).default(0).describe('LibTorch intra-op threads (0: $VGG2_THREADS when set, else every core)'),
    inputSize: int(32)
      .max(1024)
      .optional()
      .describe('Network input side [default: the cache’s, else 224; 112 for mobilefacenet]'),
    crop: z
      .enum(['loose', 'align', 'none'])
      .optional()
      .describe('Face crop: loose box ×1.3, 5-point alignment, or whole image [default: the cache’s, else loose]'),
    boxExtend: z.number().min(0).optional().describe('Loose-box enlargement [default: the cache’s, else 0.3]'),
    augment: augmentSchema.default({}),
    workers: int(1).optional().describe('Images decoded at once [default: 2 × cores]'),
    memoryCacheMb: int(0)
      .default(1024)
      .describe(
        'Decoded images kept in memory across epochs, MB (0: decode every epoch; LMDB caches are read in ' + 'place)',
      ),
    balanced: z
      .boolean()
      .default(false)
      .describe('Class-balanced batches (batch / images-per-class identities per batch)'),
    imagesPerClass: int(1).default(4).describe('Balanced batches: images per identity'),
    holdoutPerClass: int(0)
      .default(2)
      .describe('Closed-set validation: images held out per identity, chosen with the split seed (0: no validation)'),
    splitSeed: int(0)
      .optional()
      .describe(
        'Seed of the held-out split alone [default: --seed]: runs of several seeds that keep one split (e.g. students of a teacher that trained on it)',
      ),
    evalEvery: int(1).default(1).describe('Validate every N epochs (and always after the last)'),
    evalBatchSize: int(1).optional().describe('Validation batch size [default: the larger of --batch-size and 32]'),
    seed: int(0)
      .default(0)
      .describe('Seed of the initial weights, the data order, the augmentation and (without --split-seed) the split'),
    logEvery: int(1).default(20).describe('Log lines and metrics.jsonl "train" records every N steps'),
    checkpointEvery: int(1).default(1).describe('Checkpoint every N epochs'),
    checkpointEverySteps: int(1).optional().describe('Also checkpoint every N steps'),
    keepCheckpoints: int(1).default(3).describe('Checkpoints kept (plus best.safetensors)'),
    init: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Fine-tune from these weights (safetensors, PyTorch state_dict or checkpoint); a classifier of ' +
          'another size is replaced',
      ),
    freezeBackbone: z.boolean().default(false).describe('Fine-tuning: train the classifier only'),
    syncBatchNorm: z
      .boolean()
      .default(false)
      .describe("Distributed training: BatchNorm statistics over every rank's batch (SyncBatchNorm)"),
    backboneLrScale: z
      .number()
      .min(0)
      .max(1)
      .default(1)
      .describe("Fine-tuning: the backbone's lr = lr × this (the new classifier's is lr)"),
    strictData: z.boolean().default(false).describe('Fail on the first unusable image instead of skipping it'),
  })
  .strict();

/** What a user writes: every key optional. */
export type TrainConfigInput = z.input<typeof trainConfigSchema>;
/** After defaults: what the Trainer runs and config.json records. */
export type TrainConfig = z.output<typeof trainConfigSchema> & {
  lr: number;
  out: string;
  marginScale: number;
  margin: number;
};

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
          // JSON has no NaN or Infinity (it would print them as null): name them.
          if (typeof value === 'number' && !Number.isFinite(value))
            return `${where}.${key}: expected a finite number, got ${value}`;
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
    throw new ConfigError(
      `cannot read config file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    const value: unknown = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true });
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new Error('the top level must be a mapping of keys to values');
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
  if (!c.demo && !c.data && !c.cache)
    problems.push(`${where}: give 'data' (dataset folder), 'cache' (prepared LMDB) or 'demo: true'`);
  if ([c.demo, !!c.data, !!c.cache].filter(Boolean).length > 1)
    problems.push(`${where}: 'data', 'cache' and 'demo' are alternatives: give one`);
  if (c.balanced && c.batchSize % c.imagesPerClass !== 0)
    problems.push(
      `${where}.batchSize: must be a multiple of imagesPerClass (${c.imagesPerClass}) for balanced batches, got ${c.batchSize}`,
    );
  // BatchNorm cannot compute batch statistics from one sample (training batches are always full).
  if (c.batchSize < 2)
    problems.push(
      `${where}.batchSize: must be at least 2 (BatchNorm needs more than 1 sample per batch), got ${c.batchSize}`,
    );
  if (c.freezeBackbone && !c.init) problems.push(`${where}.freezeBackbone: needs 'init' (weights to fine-tune)`);
  // A saved config holds the defaults: only a value other than the default needs a teacher.
  if (!c.teacher)
    for (const [key, value] of Object.entries(DISTILL_DEFAULTS))
      if (c[key as keyof typeof DISTILL_DEFAULTS] !== value)
        problems.push(`${where}.${key}: needs 'teacher' (a model file to distil from)`);
  const sorted = [...c.milestones].sort((a, b) => a - b);
  if (sorted.some((m, i) => m !== c.milestones[i]))
    problems.push(`${where}.milestones: must be increasing, got ${JSON.stringify(c.milestones)}`);
  if (c.augment.scale && c.augment.scale[0] > c.augment.scale[1])
    problems.push(`${where}.augment.scale: [min, max] with min ≤ max`);
  if (problems.length) throw new ConfigError(problems.join('\n'));
  return {
    ...c,
    lr: c.lr ?? defaultLr(c.batchSize, c.accumulate),
    out: path.resolve(c.out ?? path.join('runs', c.name)),
    marginScale: c.marginScale ?? RECIPE_DEFAULTS.marginScale,
    margin: c.margin ?? RECIPE_DEFAULTS.margin[c.loss],
  };
}
