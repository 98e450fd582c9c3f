/**
 * Model: a ResNet-50 / SE-ResNet-50 on a device — create, load, save, forward, train steps.
 * A thin typed layer over the native Engine; the model describes itself in the files it saves.
 */
import {
  EngineConfig,
  ForwardOutput,
  InferencePrecision,
  InputData,
  LoadOutput,
  LossType,
  NativeEngine,
  StepOptions,
  StepOutput,
  native,
  WeightsInspection,
} from './native';
import { checkInputFile } from './io/input-file';
import { readSafetensorsHeader } from './io/safetensors';
import * as fs from 'fs';
import {
  ARCHS,
  archFromNames,
  innerWidthsFromShapes,
  isArch,
  MOBILEFACENET_EMBEDDING,
  MOBILEFACENET_INPUT,
  type Arch,
} from './archs';
export type { Arch } from './archs';
import { Normalization, NormalizationName, resolveNormalization } from './normalization';
import { RECIPE_DEFAULTS } from './recipe';
import { calibrationBatches, type CalibrationBatch, type CalibrationSet } from './quant/calibration';
import type { CropMode, Dataset } from './data/types';
import type { Issues } from './data/issues';
import type { ProcessGroup } from './dist/group';

export type Amp = 'off' | 'bf16' | 'fp16';

/**
 * torchvision: ResNet v1.5 (stride on the 3×3 conv), what this package trains. caffe: ResNet v1
 * (stride on the first 1×1 conv, max-pool unpadded with ceil_mode), the VGGFace2 authors' models:
 * their published weights load with it (`vgg2-torch convert`, docs/published-weights.md).
 */
export type Variant = 'torchvision' | 'caffe';

export interface ModelOptions {
  arch?: Arch;
  variant?: Variant;
  /** Classifier size; default 8631 (VGGFace2's training identities). */
  numClasses?: number;
  /**
   * Optional low-dimensional embedding (Linear C -> D + BatchNorm; C 2048 for ResNet-50, 512 for
   * ResNet-18/34) before the classifier; MobileFaceNet always has one (default 512).
   */
  embeddingDim?: number;
  /**
   * Knowledge distillation: a Linear (no bias, "distill") from the embedding onto a teacher's of
   * this size, learned with the student (lib/train/distill.ts). 0: none.
   */
  distillDim?: number;
  /**
   * A pruned ResNet's inner widths (lib/prune): a bottleneck's conv1 and conv2 output channels, a
   * basic block's conv1's, block after block (prunableConvs in lib/archs.ts). Default: full width.
   */
  innerWidths?: number[];
  /** 'cpu' | 'cuda' | 'cuda:N' | 'auto' (CUDA when available). Default 'cpu'. */
  device?: string;
  /** Autocast for training steps and forward: bf16 (CPU or CUDA) or fp16 with loss scaling (CUDA). */
  amp?: Amp;
  channelsLast?: boolean;
  normalization?: NormalizationName | Normalization;
  /** The input size the model is trained for (metadata only: any size >= 32 runs). */
  inputSize?: number;
  classNames?: string[];
  /** SGD momentum and weight decay; defaults: RECIPE_DEFAULTS (lib/recipe.ts). */
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
  /** Seeds LibTorch's generator before the weights are initialised. */
  seed?: number;
  /** LibTorch threads for this process (default: VGG2_THREADS, else every core). */
  threads?: number;
  /** Classifier loss (default softmax); arcface / cosface make the classifier normalised (logits s·cos θ). */
  loss?: LossType;
  /** s and m of the margin losses; defaults: RECIPE_DEFAULTS (lib/recipe.ts). */
  marginScale?: number;
  margin?: number;
  /** Per-class cross-entropy weights (training only; not saved). */
  classWeights?: Float32Array;
  /** An inference-only model (what quantize() makes and its files hold): CPU, cannot train. */
  inference?: InferencePrecision;
  /** How an inference model was made (kept in its file's metadata). */
  quantization?: QuantizationInfo;
}

/** What a quantized (or folded) model records about how it was made. */
export interface QuantizationInfo {
  mode: InferencePrecision;
  /** static: the activation observer and the calibration images actually used. */
  observer?: 'histogram' | 'minmax';
  calibrationImages?: number;
  calibrationSkipped?: number;
  calibrationSource?: string;
  /** The int8 engine the weights were packed for when quantized (onednn, fbgemm, ...). */
  engine?: string;
}

export interface QuantizeOptions {
  /**
   * dynamic: the Linear layers int8; static: the whole network int8 (needs calibration); folded:
   * BatchNorm folded, fp32.
   */
  mode: InferencePrecision;
  /**
   * static: real face images the model will see — a folder (one sub-folder per person, or flat),
   * a Dataset, what calibrationBatches() made of one, or uint8 NHWC batches at the model's input size.
   */
  calibration?: string | Dataset | CalibrationSet | CalibrationBatch[];
  /** Calibration images taken from a folder or Dataset, spread over it (default 64). */
  images?: number;
  /** Crop of the calibration images (default loose, as evaluation). */
  crop?: CropMode;
  observer?: 'histogram' | 'minmax';
  issues?: Issues;
}

export interface ModelDescription {
  arch: Arch;
  variant?: Variant;
  numClasses: number;
  embeddingDim: number;
  /** The student's projection onto a teacher's embedding (0: none). */
  distillDim?: number;
  /** A pruned ResNet's inner widths (absent at full width). */
  innerWidths?: number[];
  normalization: Normalization;
  inputSize: number;
  classNames?: string[];
  loss?: LossType;
  marginScale?: number;
  inference?: InferencePrecision;
  quantization?: QuantizationInfo;
}

const FORMAT = 'vgg2-torch';

/** A JSON-valued metadata key; malformed JSON is an error naming the file and the key. */
function metaJson<T>(file: string, metadata: Record<string, string>, key: string): T {
  try {
    return JSON.parse(metadata[key]) as T;
  } catch {
    throw new Error(`${file}: metadata key '${key}' is not valid JSON: the file's header was edited or damaged`);
  }
}

/**
 * The most classes a weights file may declare (the largest face-identity sets have ~100k): more is a
 * corrupt header, refused before the model is allocated.
 */
export const MAX_CLASSES = 200_000;

// A size read from a weights file's metadata or shapes: it must agree with the tensor and be plausible.
function checkDeclaredCount(
  file: string,
  what: string,
  declared: number | undefined,
  shape: number | undefined,
  max: number,
) {
  if (declared === undefined) return;
  if (!Number.isInteger(declared) || declared < 0 || declared > max)
    throw new RangeError(
      `${file}: declares ${declared} ${what}, outside 0..${max}: the file is corrupt or not a face model`,
    );
  if (shape !== undefined && shape !== declared)
    throw new RangeError(`${file}: metadata says ${declared} ${what} but its tensor has ${shape}: the file is corrupt`);
}

/**
 * A checkpoint is safetensors (an 8-byte header length, then '{'): a PyTorch zip or any other file
 * is named as such here, not by the safetensors parser's byte-level complaint.
 */
function checkpointFormat(file: string): void {
  const head = Buffer.alloc(9);
  let got: number;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      if (!fs.fstatSync(fd).isFile()) throw new Error(`${file}: not a checkpoint (not a regular file)`);
      got = fs.readSync(fd, head, 0, 9, 0);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code)
      throw new Error(`${file}: cannot read the checkpoint: ${(e as Error).message}`, { cause: e });
    throw e;
  }
  if (got >= 4 && head.toString('latin1', 0, 4) === 'PK\x03\x04')
    throw new Error(
      `${file}: a PyTorch zip (torch.save), not a checkpoint: checkpoints are safetensors files written by saveCheckpoint() or train; load weights with load() (CLI: --init)`,
    );
  if (got < 9 || head[8] !== 0x7b)
    throw new Error(
      `${file}: not a checkpoint: checkpoints are safetensors files written by saveCheckpoint() or train`,
    );
}

/**
 * A safetensors file's metadata and shapes from its header alone, so describing a model costs no
 * tensor reads (the load that follows validates the whole file). Undefined when the file is not a
 * well-formed safetensors header: the native reader then inspects it and gives its precise error.
 */
function safetensorsInspection(file: string): WeightsInspection | undefined {
  let header: Record<string, unknown>;
  try {
    header = readSafetensorsHeader(file) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) return undefined;
  const shapes: Record<string, number[]> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const shape = (entry as { shape?: unknown })?.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) return undefined;
    shapes[name] = shape as number[];
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, unknown>;
  if (typeof metadata !== 'object' || Object.values(metadata).some((v) => typeof v !== 'string')) return undefined;
  return { metadata: metadata as Record<string, string>, shapes };
}

/** What a weights file says about the model that fits it: its metadata, else its tensor shapes. */
export async function describeWeights(file: string): Promise<Partial<ModelDescription>> {
  // A FIFO or device would block or never end: only a regular file is opened.
  checkInputFile(file, 'weights file', Number.MAX_SAFE_INTEGER);
  const { metadata, shapes } = safetensorsInspection(file) ?? (await native().inspectWeights(file));
  const out: Partial<ModelDescription> = {};
  if (metadata.arch !== undefined && !isArch(metadata.arch))
    throw new Error(`${file}: metadata 'arch' is '${metadata.arch}', not one of ${ARCHS.join(', ')}`);
  // Without metadata (a torch.save'd state dict): the names say; ResNet-50 when they say nothing.
  out.arch = metadata.arch ?? archFromNames(Object.keys(shapes)) ?? 'resnet50';
  if (metadata.variant !== undefined) {
    if (metadata.variant !== 'torchvision' && metadata.variant !== 'caffe')
      throw new Error(`${file}: metadata 'variant' is '${metadata.variant}', not torchvision or caffe`);
    out.variant = metadata.variant;
  }
  if (metadata.inference !== undefined) {
    if (!['folded', 'dynamic', 'static'].includes(metadata.inference))
      throw new Error(`${file}: metadata 'inference' is '${metadata.inference}', not folded, dynamic or static`);
    out.inference = metadata.inference as InferencePrecision;
    if (metadata.quantization) out.quantization = metaJson<QuantizationInfo>(file, metadata, 'quantization');
  }
  // An inference file's embedding is one folded Linear ('embedding'), a trainable one's Linear + BatchNorm.
  const embeddingShape = shapes[out.inference ? 'embedding.weight' : 'embedding.0.weight'];
  out.numClasses = metadata.num_classes ? Number(metadata.num_classes) : shapes['fc.weight']?.[0];
  out.embeddingDim = metadata.embedding_dim ? Number(metadata.embedding_dim) : (embeddingShape?.[0] ?? 0);
  checkDeclaredCount(file, 'classes', out.numClasses, shapes['fc.weight']?.[0], MAX_CLASSES);
  checkDeclaredCount(file, 'embedding size', out.embeddingDim, embeddingShape?.[0] ?? 0, 8192);
  // A distilled student keeps its projection onto the teacher's embedding (the shapes say its size).
  const distill = shapes['distill.weight'];
  if (distill && !out.inference) out.distillDim = distill[0];
  // A pruned network's widths are its conv shapes.
  const widths = innerWidthsFromShapes(out.arch, shapes);
  if (widths) out.innerWidths = widths;
  if (metadata.input_size) checkInputSize(Number(metadata.input_size), `${file}: input_size`);
  if (metadata.normalization) out.normalization = metaJson<Normalization>(file, metadata, 'normalization');
  if (metadata.input_size) out.inputSize = Number(metadata.input_size);
  if (metadata.class_names) out.classNames = metaJson<string[]>(file, metadata, 'class_names');
  // A normalised (margin-loss) classifier predicts with s·cos θ: the loss decides the forward.
  if (metadata.loss === 'arcface' || metadata.loss === 'cosface') {
    out.loss = metadata.loss;
    out.marginScale = Number(metadata.margin_scale);
  }
  return out;
}

/**
 * Input sizes a model takes: below 32 ResNet's five stride-2 stages leave nothing; above 1024 a batch
 * needs gigabytes.
 */
export const INPUT_SIZE_RANGE: readonly [number, number] = [32, 1024];

/** `size` as an input side length, or a RangeError that says the allowed range. */
export function checkInputSize(size: number, what = 'inputSize'): number {
  const [min, max] = INPUT_SIZE_RANGE;
  if (!Number.isInteger(size) || size < min || size > max)
    throw new RangeError(`${what} must be an integer from ${min} to ${max} pixels, got ${size}`);
  return size;
}

// The addon copies from ordinary ArrayBuffers only; a SharedArrayBuffer could change under the copy.
function checkInputData(x: unknown, method: string): void {
  const shared =
    typeof SharedArrayBuffer !== 'undefined' &&
    (x instanceof SharedArrayBuffer || (ArrayBuffer.isView(x) && x.buffer instanceof SharedArrayBuffer));
  if (shared)
    throw new TypeError(
      `${method}: x is backed by a SharedArrayBuffer, which is not supported: copy it into a Uint8Array or Float32Array first`,
    );
}

export class Model {
  private engine: NativeEngine;
  readonly normalization: Normalization;
  inputSize: number;
  classNames?: string[];
  /** How this inference-only model was made (undefined for a trainable model). */
  quantization?: QuantizationInfo;

  private constructor(engine: NativeEngine, options: ModelOptions, normalization: Normalization) {
    this.engine = engine;
    this.normalization = normalization;
    this.inputSize = checkInputSize(options.inputSize ?? 224);
    this.classNames = options.classNames;
    this.quantization = options.inference ? (options.quantization ?? { mode: options.inference }) : undefined;
  }

  static async create(options: ModelOptions = {}): Promise<Model> {
    if (options.arch === 'mobilefacenet') {
      if (options.inputSize !== undefined && options.inputSize !== MOBILEFACENET_INPUT)
        throw new RangeError(
          `mobilefacenet takes ${MOBILEFACENET_INPUT}×${MOBILEFACENET_INPUT} faces (its global depthwise conv is 7×7), not inputSize ${options.inputSize}`,
        );
      options = {
        ...options,
        inputSize: MOBILEFACENET_INPUT,
        embeddingDim: options.embeddingDim || MOBILEFACENET_EMBEDDING,
      };
    }
    const normalization = resolveNormalization(options.normalization);
    if (options.inputSize !== undefined) checkInputSize(options.inputSize);
    if (options.classNames && options.numClasses !== undefined && options.classNames.length !== options.numClasses) {
      throw new RangeError(`classNames has ${options.classNames.length} names for numClasses ${options.numClasses}`);
    }
    if (options.threads !== undefined) native().setThreads(options.threads);
    // Inference-only (folded, int8) models run on the CPU: 'auto' means the CPU for them.
    const device = options.inference && (options.device ?? 'auto') === 'auto' ? 'cpu' : options.device;
    const engine = await native().createEngine({
      arch: options.arch,
      ...(options.variant && options.variant !== 'torchvision' ? { variant: options.variant } : {}),
      numClasses: options.numClasses ?? options.classNames?.length,
      embeddingDim: options.embeddingDim,
      distillDim: options.distillDim,
      innerWidths: options.innerWidths,
      device,
      ...(options.inference ? { inference: options.inference } : {}),
      amp: options.amp,
      channelsLast: options.channelsLast,
      mean: normalization.mean,
      std: normalization.std,
      momentum: options.momentum ?? RECIPE_DEFAULTS.momentum,
      weightDecay: options.weightDecay ?? RECIPE_DEFAULTS.weightDecay,
      nesterov: options.nesterov,
      seed: options.seed,
      loss: options.loss,
      marginScale: options.marginScale ?? RECIPE_DEFAULTS.marginScale,
      margin: options.margin ?? RECIPE_DEFAULTS.margin[options.loss ?? 'softmax'],
      classWeights: options.classWeights,
    });
    const model = new Model(engine, options, normalization);
    registry.register(model, engine, model);
    return model;
  }

  /** A model made to fit a weights file (safetensors with our metadata, or a PyTorch state_dict), loaded. */
  static async fromFile(
    file: string,
    options: Omit<ModelOptions, 'arch' | 'numClasses' | 'embeddingDim' | 'distillDim' | 'innerWidths'> = {},
  ): Promise<Model> {
    const described = await describeWeights(file);
    const model = await Model.create({ ...described, ...options } as ModelOptions);
    try {
      await model.load(file);
    } catch (err) {
      model.dispose();
      throw err;
    }
    return model;
  }

  get parameterCount(): number {
    return this.engine.parameterCount;
  }

  get config(): EngineConfig {
    return this.engine.config;
  }

  get disposed(): boolean {
    return this.engine.disposed;
  }

  /**
   * Eval-mode forward. x: Float32Array NCHW (normalised) or Uint8Array NHWC RGB (normalised on the
   * device). Outputs are flat row-major fp32 arrays. The caller may reuse `x` once this settles.
   */
  async forward(x: InputData, shape: number[]): Promise<ForwardOutput> {
    checkInputData(x, 'forward');
    return this.engine.forward(x, shape);
  }

  /** One SGD step (or one accumulation micro-step with apply: false) on a labelled batch. */
  async trainStep(x: InputData, shape: number[], labels: Int32Array, options: StepOptions): Promise<StepOutput> {
    checkInputData(x, 'trainStep');
    if (Array.isArray(shape) && shape[0] === 1)
      throw new RangeError(
        'trainStep: a batch of 1 sample cannot train: BatchNorm needs more than 1 sample per batch (use batchSize >= 2)',
      );
    return this.engine.trainStep(x, shape, labels, options);
  }

  /** Loads safetensors or a PyTorch state_dict; strict (default): names and shapes must all match. */
  async load(file: string, options: { strict?: boolean } = {}): Promise<LoadOutput> {
    // An inference file and a trainable model (or the reverse) share no tensor names: say so plainly.
    const theirs = safetensorsInspection(file)?.metadata.inference;
    const ours = this.engine.config.inference;
    if (theirs !== ours && (theirs || ours))
      throw new Error(
        theirs
          ? `${file}: a ${theirs} inference model (made by quantize): it runs (Model.fromFile) but cannot be loaded into a trainable model; train from the fp32 weights`
          : `${file}: fp32 weights, not a ${ours} inference model: load them with Model.fromFile, then quantize()`,
      );
    const out = await this.engine.load(file, options);
    if (out.metadata.class_names) this.classNames = metaJson<string[]>(file, out.metadata, 'class_names');
    if (out.metadata.input_size)
      this.inputSize = checkInputSize(Number(out.metadata.input_size), `${file}: input_size`);
    return out;
  }

  /**
   * Saves parameters and buffers as safetensors (atomically), with the model's description; format
   * 'pytorch': a state_dict in torch.save's format (torchvision names; no description).
   */
  save(
    file: string,
    extra: Record<string, string> = {},
    options: { format?: 'safetensors' | 'pytorch' } = {},
  ): Promise<void> {
    return this.engine.save(file, this.metadata(extra), options);
  }

  /**
   * Saves a training checkpoint: the weights file's content plus the SGD momentum buffers, in one
   * safetensors file written atomically; `extra` carries the trainer's state. It loads as weights too.
   */
  saveCheckpoint(file: string, extra: Record<string, string> = {}): Promise<void> {
    return this.engine.saveCheckpoint(file, this.metadata(extra));
  }

  /**
   * Makes this model's training data-parallel over `group` (lib/dist): rank 0's weights and buffers
   * are copied to every rank now, and from then on each applied trainStep averages the gradients
   * over the ranks (bucketed all-reduce, overlapped with backward) and keeps rank 0's BatchNorm
   * statistics everywhere. Every rank must call it, and then step, in the same order.
   * `syncBatchNorm`: BatchNorm in training normalises with the statistics of every rank's batch
   * together (torch.nn.SyncBatchNorm), so N ranks at batch B train as one process at N·B.
   */
  joinProcessGroup(group: ProcessGroup, options: { syncBatchNorm?: boolean } = {}): Promise<void> {
    return this.engine.joinProcessGroup(group.native, options);
  }

  /** Restores weights and momentum buffers from saveCheckpoint's file; resolves with its metadata. */
  async loadCheckpoint(file: string): Promise<Record<string, string>> {
    checkpointFormat(file);
    return this.engine.loadCheckpoint(file);
  }

  private metadata(extra: Record<string, string>): Record<string, string> {
    const c = this.engine.config;
    const metadata: Record<string, string> = {
      ...extra,
      format: FORMAT,
      normalization: JSON.stringify(this.normalization),
      input_size: String(this.inputSize),
      loss: c.loss,
    };
    if (c.loss !== 'softmax') metadata.margin_scale = String(c.marginScale);
    if (this.quantization) metadata.quantization = JSON.stringify(this.quantization);
    if (this.classNames) metadata.class_names = JSON.stringify(this.classNames);
    return metadata;
  }

  describe(): ModelDescription {
    const c = this.engine.config;
    return {
      arch: c.arch,
      ...(c.variant && c.variant !== 'torchvision' ? { variant: c.variant } : {}),
      numClasses: c.numClasses,
      embeddingDim: c.embeddingDim,
      ...(c.distillDim ? { distillDim: c.distillDim } : {}),
      ...(c.innerWidths ? { innerWidths: c.innerWidths } : {}),
      normalization: this.normalization,
      inputSize: this.inputSize,
      classNames: this.classNames,
      loss: c.loss,
      marginScale: c.marginScale,
      ...(c.inference ? { inference: c.inference, quantization: this.quantization } : {}),
    };
  }

  /**
   * A new inference-only model made from this one (which is left as it is): BatchNorm folded, and
   * int8 weights (dynamic) or weights and activations (static, calibrated on real images). It
   * saves, loads (Model.fromFile) and embeds like any model, on the CPU; it cannot train.
   */
  async quantize(options: QuantizeOptions): Promise<Model> {
    const mode = options.mode;
    if (!['folded', 'dynamic', 'static'].includes(mode))
      throw new RangeError(`quantize: mode must be 'dynamic', 'static' or 'folded', got '${String(mode)}'`);
    if (this.engine.config.inference)
      throw new Error(`quantize: this model is already ${this.engine.config.inference}: quantize the fp32 model`);
    if (this.config.arch === 'mobilefacenet')
      throw new Error(
        `quantize: folded and int8 inference exist for the ResNets; mobilefacenet is not supported yet (run it in fp32, or bf16 with amp)`,
      );
    const info: QuantizationInfo = { mode };
    let batches: CalibrationBatch[] | undefined;
    if (mode === 'static') {
      const source = options.calibration;
      if (!source)
        throw new RangeError('quantize: static int8 needs calibration images (a folder, Dataset or batches)');
      if (Array.isArray(source)) {
        batches = source;
        info.calibrationImages = source.reduce((n, b) => n + b.shape[0], 0);
      } else {
        const set =
          typeof source !== 'string' && 'batches' in source
            ? source
            : await calibrationBatches(source, {
                size: this.inputSize,
                images: options.images,
                crop: options.crop,
                issues: options.issues,
              });
        batches = set.batches;
        info.calibrationImages = set.images;
        info.calibrationSkipped = set.skipped;
        info.calibrationSource = set.source;
      }
      info.observer = options.observer ?? 'histogram';
    }
    const engine = await this.engine.quantize({ mode, observer: options.observer, calibration: batches });
    if (engine.config.quantizedEngine) info.engine = engine.config.quantizedEngine;
    const model = new Model(
      engine,
      {
        inputSize: this.inputSize,
        classNames: this.classNames,
        inference: mode,
        quantization: info,
        variant: this.engine.config.variant,
      },
      this.normalization,
    );
    registry.register(model, engine, model);
    return model;
  }

  /** Frees the native model now (a call in flight finishes first). */
  dispose(): void {
    registry.unregister(this);
    this.engine.dispose();
  }
}

// Safety net: a Model dropped without dispose() frees its native memory when collected.
const registry = new FinalizationRegistry<NativeEngine>((engine) => engine.dispose());
