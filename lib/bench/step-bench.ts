/**
 * Throughput of one training (or inference) step on one fixed random batch — the same work and
 * fields as ../shared/reference/torch_bench.py, so the two lines can be put side by side.
 */
import { Model } from '../model';
import { setThreads } from '../info';
import { native } from '../native';
import { gaussianArray } from '../random';
import { median } from './median';
import type { Arch } from '../archs';

export interface StepBenchOptions {
  arch: Arch;
  mode: 'train' | 'infer';
  size: number;
  batch: number;
  classes: number;
  amp: 'off' | 'bf16';
  channelsLast: boolean;
  threads?: number;
  steps: number;
  warmup: number;
  /** infer: int8 as `quantize` makes it (static: calibrated on 8 random batches, as torch_bench.py). */
  int8?: 'dynamic' | 'static';
  /** infer: a weights file to run (any kind `quantize` writes too) instead of random weights. */
  weights?: string;
}

export interface StepBenchResult {
  impl: 'vgg2-torch';
  torch: string;
  arch: string;
  mode: string;
  size: number;
  batch: number;
  bf16: boolean;
  channels_last: boolean;
  /** infer: 'dynamic' | 'static' for int8, 'folded' for BatchNorm folded (bf16), false for the trainable model. */
  inference: string | false;
  threads: number;
  step_ms: number;
  img_per_s: number;
  /** Minor page faults per timed step (memory mapped in anew: the CPU allocator's cache avoids them). */
  page_faults_per_step: number;
}

export async function benchStep(o: StepBenchOptions, log: (line: string) => void = () => {}): Promise<StepBenchResult> {
  if (o.threads) setThreads(o.threads);
  if (o.mode === 'train' && (o.int8 || o.weights)) throw new RangeError('int8 and weights are for bench infer');
  const shape = [o.batch, 3, o.size, o.size];
  const x = gaussianArray(o.batch * 3 * o.size * o.size, 0);
  const model = await inferenceModel(o, shape);
  try {
    const labels = Int32Array.from({ length: o.batch }, (_, i) => (i * 7919) % o.classes);
    const step =
      o.mode === 'train' ? () => model.trainStep(x, shape, labels, { lr: 0.1 }) : () => model.forward(x, shape);
    for (let i = 0; i < o.warmup; i++) await step();
    const times: number[] = [];
    const faults0 = process.resourceUsage().minorPageFault;
    for (let i = 0; i < o.steps; i++) {
      const t = process.hrtime.bigint();
      await step();
      times.push(Number(process.hrtime.bigint() - t) / 1e9);
      log(`step ${i + 1}/${o.steps}: ${(times[i] * 1e3).toFixed(1)} ms`);
    }
    const faults = process.resourceUsage().minorPageFault - faults0;
    const med = median(times);
    return {
      impl: 'vgg2-torch',
      torch: native().torchVersion,
      arch: o.arch,
      mode: o.mode,
      size: o.size,
      batch: o.batch,
      bf16: o.amp === 'bf16' && !['static', 'dynamic'].includes(model.config.inference ?? ''),
      channels_last: o.channelsLast,
      inference: model.config.inference ?? false,
      threads: native().info().threads,
      step_ms: Math.round(med * 1e4) / 10,
      img_per_s: Math.round((o.batch / med) * 100) / 100,
      page_faults_per_step: Math.round(faults / o.steps),
    };
  } finally {
    model.dispose();
  }
}

/**
 * The model a step runs: random weights (or --weights), and for inference the fast forms —
 * int8 when asked, BatchNorm folded under bf16 (with channels_last when asked), as deployment runs.
 */
async function inferenceModel(o: StepBenchOptions, shape: number[]): Promise<Model> {
  const base = o.weights
    ? await Model.fromFile(o.weights, { amp: o.amp, channelsLast: o.channelsLast })
    : await Model.create({ arch: o.arch, numClasses: o.classes, amp: o.amp, channelsLast: o.channelsLast, seed: 0 });
  if (o.mode === 'train' || base.config.inference || (!o.int8 && o.amp !== 'bf16')) return base;
  try {
    const calibration = Array.from({ length: o.int8 === 'static' ? 8 : 0 }, (_, i) => ({
      data: gaussianArray(
        shape.reduce((a, b) => a * b, 1),
        100 + i,
      ),
      shape,
    }));
    return await base.quantize({ mode: o.int8 ?? 'folded', calibration });
  } finally {
    base.dispose();
  }
}
