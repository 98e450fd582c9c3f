/**
 * The only module that touches the native addon: loads it (build/Release first, then prebuilds/;
 * PREBUILDS_ONLY=1 tests a prebuild alone) with errors that say how to fix a failed load, and
 * types what it exports.
 */
import fs from 'fs';
import path from 'path';
import type { Arch } from './archs';

export interface NativeInfo {
  libtorch: string;
  cuda: boolean;
  devices: string[];
  threads: number;
  quantizedEngines: string[];
  mkldnn: boolean;
  openmp: boolean;
  /** The GPUs the NVIDIA driver reports (also under a CPU-only LibTorch). */
  cudaDevices: NativeCudaDevice[];
  cudaDriver: string | null;
  /** The CUDA runtime and cuDNN this LibTorch was built with (null without CUDA / cuDNN). */
  cudaRuntime: string | null;
  cudnn: string | null;
  cudnnBenchmark: boolean;
  tf32: { conv: boolean; matmul: boolean };
  cpuAllocator: CpuAllocatorStats;
}

/** The caching CPU allocator (native/caching_cpu_allocator.h): large blocks reused or newly allocated. */
export interface CpuAllocatorStats {
  cachedBytes: number;
  /** VGG2_CPU_CACHE_MB in bytes (0: no cache). */
  limitBytes: number;
  hits: number;
  misses: number;
}

export interface NativeCudaDevice {
  index: number;
  name: string;
  /** Bytes. */
  totalMemory: number;
  /** Compute capability, e.g. '9.0'. */
  capability: string;
  multiprocessors: number;
}

export interface EngineConfig {
  arch: Arch;
  /** torchvision (v1.5) or caffe (v1, the VGGFace2 authors' models). */
  variant: 'torchvision' | 'caffe';
  numClasses: number;
  embeddingDim: number;
  /** Distillation: the teacher's embedding size the student's "distill" projection maps onto (0: none). */
  distillDim: number;
  /** A pruned ResNet's inner widths (lib/prune): absent at full width. */
  innerWidths?: number[];
  device: string;
  amp: 'off' | 'bf16' | 'fp16';
  channelsLast: boolean;
  mean: [number, number, number];
  std: [number, number, number];
  momentum: number;
  weightDecay: number;
  nesterov: boolean;
  loss: LossType;
  marginScale: number;
  margin: number;
  /** Present on inference-only models: BatchNorm folded (fp32/bf16), or int8 (lib/quant). */
  inference?: InferencePrecision;
  /** Set on a model quantize() made: the int8 engine its weights were packed for (onednn, ...). */
  quantizedEngine?: string;
}

/** folded: BatchNorm folded, fp32 (bf16 with amp); dynamic: Linear layers int8; static: the whole network int8. */
export type InferencePrecision = 'folded' | 'dynamic' | 'static';

/** engine.quantize's options (lib/quant/quantize.ts builds them). */
export interface NativeQuantizeOptions {
  mode: InferencePrecision;
  /** How activation ranges are chosen from calibration (static): PyTorch's default is histogram. */
  observer?: 'histogram' | 'minmax';
  /** Batches as forward() takes them, at the model's input size (static: at least one). */
  calibration?: { data: InputData; shape: number[] }[];
}

/** softmax: cross-entropy on linear logits; arcface / cosface: margins on a normalised classifier (logits s·cos θ). */
export type LossType = 'softmax' | 'arcface' | 'cosface';

/** Required: momentum, weightDecay, and for the margin losses marginScale and margin (defaults: lib/recipe.ts). */
export interface EngineOptions extends Partial<Omit<EngineConfig, 'device' | 'momentum' | 'weightDecay'>> {
  momentum: number;
  weightDecay: number;
  device?: string;
  seed?: number;
  /** One weight per class for the cross-entropy (e.g. inverse frequency). */
  classWeights?: Float32Array;
}

export interface ForwardOutput {
  logits: Float32Array;
  features: Float32Array;
  embedding?: Float32Array;
}

export interface StepOptions {
  lr: number;
  /** false: accumulate gradients only; the update happens on the call with apply: true. */
  apply?: boolean;
  /** Divides the loss (the number of micro-batches when accumulating). */
  lossDivisor?: number;
  labelSmoothing?: number;
  /** Fine-tuning: the backbone's lr is lr × this (default 1); 0 freezes it (no gradients, BatchNorm kept). */
  backboneLrScale?: number;
  /** BatchNorm in eval mode: running statistics used, not updated. */
  freezeBatchNorm?: boolean;
  /** Knowledge distillation: the teacher's outputs for this batch (lib/train/distill.ts). */
  distill?: DistillStepOptions;
}

export interface DistillStepOptions {
  /** The teacher's embeddings, a row per image (normalised natively). */
  embedding: Float32Array;
  /** The teacher's logits, a row per image (same classes as the student): the KL term. */
  logits?: Float32Array;
  /** Embedding term: 1 − cos (default) or the squared distance of the unit vectors. */
  loss?: 'cosine' | 'mse';
  /** Weight of the embedding term (default 1). */
  weight?: number;
  /** Weight of the KL term on softened logits (default 1 with logits, else 0). */
  logitWeight?: number;
  /** Softening temperature of the KL term (default 4). */
  temperature?: number;
  /** Weight of the usual classification loss (default 1). */
  hardWeight?: number;
}

export interface StepOutput {
  loss: number;
  top1: number;
  top5: number;
  /** fp16: the update was skipped because gradients held inf/NaN. */
  skipped: boolean;
  lossScale: number;
  /**
   * Data-parallel steps that applied an update: milliseconds spent after backward waiting for the
   * gradient all-reduces (the communication that overlapping with backward did not hide).
   */
  commWaitMs?: number;
  /** Distilling: the embedding term of the loss (the loss itself is the weighted total). */
  distillLoss?: number;
}

export interface LoadOutput {
  metadata: Record<string, string>;
  missing: string[];
  unexpected: string[];
  mismatched: string[];
}

export interface WeightsInspection {
  metadata: Record<string, string>;
  shapes: Record<string, number[]>;
}

/** Input batch: uint8 RGB NHWC ([n, h, w, 3]) or float32 NCHW already normalised ([n, 3, h, w]). */
export type InputData = Uint8Array | Float32Array;

export interface NativeEngine {
  readonly parameterCount: number;
  readonly config: EngineConfig;
  readonly disposed: boolean;
  forward(x: InputData, shape: number[]): Promise<ForwardOutput>;
  trainStep(x: InputData, shape: number[], labels: Int32Array, options: StepOptions): Promise<StepOutput>;
  load(file: string, options?: { strict?: boolean }): Promise<LoadOutput>;
  /** format pytorch: a state_dict torch.load reads (no metadata). */
  save(
    file: string,
    metadata?: Record<string, string>,
    options?: { format?: 'safetensors' | 'pytorch' },
  ): Promise<void>;
  /** Model state + SGD momentum buffers in one safetensors file, written atomically. */
  saveCheckpoint(file: string, metadata?: Record<string, string>): Promise<void>;
  /** Restores a checkpoint written by saveCheckpoint; resolves with its metadata. */
  loadCheckpoint(file: string): Promise<Record<string, string>>;
  /** A new inference-only engine (this one is untouched). */
  quantize(options: NativeQuantizeOptions): Promise<NativeEngine>;
  /** Data-parallel from now on: rank 0's weights and buffers broadcast, gradients averaged each applied step. */
  joinProcessGroup(group: NativeProcessGroup, options?: { syncBatchNorm?: boolean }): Promise<void>;
  dispose(): void;
}

/** createProcessGroup's options: where the ranks meet (c10d TCPStore on rank 0) and how long they wait. */
export interface ProcessGroupOptions {
  rank: number;
  worldSize: number;
  /** Default 127.0.0.1. */
  masterAddr?: string;
  /** Default 29500. */
  masterPort?: number;
  /** Rendezvous and every collective; default 300000 (5 minutes). */
  timeoutMs?: number;
  backend?: 'gloo' | 'nccl';
}

/** A c10d process group (ProcessGroupGloo). Its collectives queue behind training steps, in order. */
export interface NativeProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  /** Element-wise sum over ranks (a new array). */
  allReduce(values: Float64Array): Promise<Float64Array>;
  /** Summed over ranks in place (it must not change until settled); resolves with the same array. */
  allReduce(values: Float32Array): Promise<Float32Array>;
  /** Rank `root`'s values (a new array). */
  broadcast(values: Float64Array, root: number): Promise<Float64Array>;
  barrier(): Promise<void>;
  close(): void;
}

/** One image for decodeBatch (see lib/data/decode-plans.ts, which plans them). */
export interface DecodeSpec {
  /** JPEG bytes, or width·height·3 bytes of RGB (raw). */
  data: Uint8Array;
  kind: 'jpeg' | 'raw';
  width: number;
  height: number;
  /** Face region [left, top, width, height] of the source image... */
  region: [number, number, number, number];
  /** ...resized to [width, height]... */
  resized: [number, number];
  /** ...of which the window at [left, top] is kept... */
  crop: [number, number];
  /** ...[width, height] (default size×size)... */
  window?: [number, number];
  /** ...at this byte offset of out (default: slot i·size²·3). */
  offset?: number;
  flip: boolean;
  gray: boolean;
  /** v → gain·v + bias before gray (default 1, 0). */
  gain?: number;
  bias?: number;
  /**
   * 5-point alignment (lib/data/align.ts alignPlan): the whole image (region) is aligned to the
   * `resized` face instead of resized; crop and window then cut from the face.
   */
  align?: { similarity: [number, number, number, number]; pre?: [number, number] };
}

export interface NativeBinding {
  torchVersion: string;
  /** libjpeg-turbo's version, '' when the addon was built without TurboJPEG. */
  turbojpeg: string;
  /**
   * Renders specs[i] into out (at byte i·size²·3 unless it says otherwise; null specs are
   * skipped) on a pool of `threads` threads; resolves per spec with null (done) or why it could
   * not be done natively.
   */
  decodeBatch(
    specs: (DecodeSpec | null)[],
    out: Uint8Array,
    size: number,
    options?: { threads?: number },
  ): Promise<(string | null)[]>;
  /**
   * Exact top-k cosine search of unit rows (one matrix product and a topk, on the compute thread):
   * row-major [queries, k] scores and gallery row indices. Neither array may change until it settles.
   */
  gallerySearch(
    /** fp32 rows, or bf16 rows as their bits (lib/gallery/bf16.ts). */
    gallery: Float32Array | Uint16Array,
    queries: Float32Array,
    options: { dim: number; k: number },
  ): Promise<{ scores: Float32Array; indices: Int32Array; k: number }>;
  /** Whether the addon was built with dlib (face detection). */
  dlib: boolean;
  /**
   * Faces of RGB images (dlib's HOG detector, 68 landmarks and the 5 alignment points), in
   * parallel on native threads. Rejects without dlib, or when the landmark model can't be loaded.
   */
  detectFaces(
    images: { data: Uint8Array; width: number; height: number }[],
    options?: { upsample?: number; landmarks?: boolean; landmarksModel?: string },
  ): Promise<
    { box: [number, number, number, number]; score: number; landmarks?: Float32Array; points?: Float32Array }[][]
  >;
  createEngine(options: EngineOptions): Promise<NativeEngine>;
  /** Meets the other ranks (resolves once all worldSize have joined, or rejects after timeoutMs). */
  createProcessGroup(options: ProcessGroupOptions): Promise<NativeProcessGroup>;
  /** Whether the addon was built with c10d's Gloo (libgloo-dev headers). */
  gloo: boolean;
  inspectWeights(file: string): Promise<WeightsInspection>;
  info(): NativeInfo;
  setThreads(n: number): void;
}

/** The package folder, from lib/ (sources under ts-jest) or dist/lib/ (compiled). */
export const packageRoot = fs.existsSync(path.resolve(__dirname, '..', 'package.json'))
  ? path.resolve(__dirname, '..')
  : path.resolve(__dirname, '..', '..');

const rebuildHint =
  'Rebuild it with `npm rebuild vgg2-torch` (in a clone: `npm run build:native`); it needs LibTorch: ' +
  '`sudo apt-get install libtorch-dev libopenblas0-pthread`, or LIBTORCH=/path/to/libtorch.';

/** Turns a failed dlopen into a message that says what to do. */
export function explainLoadError(err: Error): Error {
  const message = err.message || String(err);
  if (/No native build was found/.test(message)) {
    return new Error(
      `vgg2-torch: the native addon is not built (npm may have skipped its install script). ${rebuildHint}`,
    );
  }
  const missing = /(libtorch[\w.]*|libc10[\w.]*)\.so[\w.]*: cannot open shared object file/.exec(message);
  if (missing) {
    return new Error(
      `vgg2-torch: the native addon was built against a LibTorch that can't be found now (${missing[0]}). ` +
        `It was built for a different LibTorch version or location than this machine has. ${rebuildHint}`,
    );
  }
  if (/undefined symbol/.test(message)) {
    return new Error(
      `vgg2-torch: the native addon does not match the LibTorch it loaded (${message.split('\n')[0]}): ` +
        `it was built against another LibTorch version. ${rebuildHint}`,
    );
  }
  return new Error(`vgg2-torch: failed to load the native addon: ${message.split('\n')[0]}. ${rebuildHint}`);
}

/**
 * OpenBLAS's threads spin for 2^28 cycles (~0.1 s) after each product before they sleep. After a
 * gallery search's product they took a core from the next forward pass's OpenMP team (ResNet-50,
 * batch 16, 2 cores: 145-160 ms per forward after a search, 125 ms without). 2^16 cycles (~25 µs)
 * ends that. OpenBLAS reads it once, when it loads with the addon; a value already set is kept, and
 * the variable is not left for child processes (the PyTorch references run as their users run them).
 */
const OPENBLAS_SPIN = { name: 'OPENBLAS_THREAD_TIMEOUT', log2Cycles: '16' };

/** Loads the addon of the package at `root`, or throws an error that says how to fix it. */
export function loadBinding(root: string): NativeBinding {
  const own = process.env[OPENBLAS_SPIN.name] === undefined;
  if (own) process.env[OPENBLAS_SPIN.name] = OPENBLAS_SPIN.log2Cycles;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node-gyp-build')(root) as NativeBinding;
  } catch (err) {
    throw explainLoadError(err as Error);
  } finally {
    if (own) delete process.env[OPENBLAS_SPIN.name];
  }
}

let binding: NativeBinding | undefined;

export function native(): NativeBinding {
  binding ??= loadBinding(packageRoot);
  return binding;
}
