/**
 * One rank of `bench ddp`: data-parallel training steps on a fixed random batch per rank, the same
 * work and fields as ../shared/reference/ddp_bench.py (PyTorch DDP on Gloo), plus one all-reduce
 * of a gradient-sized buffer. Rank 0 returns the line; the others undefined.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { ProcessGroup } from '../dist/group';
import type { DistributedOptions } from '../dist/options';
import { Model } from '../model';
import { native } from '../native';
import { gaussianArray } from '../random';
import { median } from './median';
import type { Arch } from '../archs';

export interface DdpBenchOptions {
  arch: Arch;
  size: number;
  batch: number;
  amp: 'off' | 'bf16';
  channelsLast: boolean;
  steps: number;
  warmup: number;
}

export interface DdpBenchResult {
  impl: 'vgg2-torch';
  ranks: number;
  arch: string;
  size: number;
  batch_per_rank: number;
  bf16: boolean;
  channels_last: boolean;
  threads_per_rank: number;
  step_s: number;
  /** Every rank's images per second (median step). */
  img_per_s: number;
  /** One all-reduce of a buffer the size of the gradient (median of 5). */
  allreduce_ms: number;
  /** Per step, the gradient all-reduce time not hidden behind backward (median). */
  comm_wait_ms: number;
  gradient_mb: number;
  /** Every rank ends with bitwise-identical weights. */
  params_equal: boolean;
  torch: string;
}

export async function benchDdpRank(o: DdpBenchOptions, dist: DistributedOptions): Promise<DdpBenchResult | undefined> {
  const model = await Model.create({
    arch: o.arch,
    numClasses: 8631,
    amp: o.amp,
    channelsLast: o.channelsLast,
    seed: 0,
  });
  const group = await ProcessGroup.join(dist);
  try {
    await model.joinProcessGroup(group);
    const shape = [o.batch, 3, o.size, o.size];
    const x = gaussianArray(o.batch * 3 * o.size * o.size, 1000 + group.rank);
    const labels = Int32Array.from({ length: o.batch }, (_, i) => (i * 7919 + group.rank * 31) % 8631);
    const times: number[] = [];
    const waits: number[] = [];
    for (let i = 0; i < o.warmup + o.steps; i++) {
      const t = process.hrtime.bigint();
      const r = await model.trainStep(x, shape, labels, { lr: 0.01 });
      await group.barrier(); // as the reference: a step ends when every rank's has
      if (i < o.warmup) continue;
      times.push(Number(process.hrtime.bigint() - t) / 1e9);
      waits.push(r.commWaitMs ?? 0);
    }
    const buffer = new Float32Array(model.parameterCount);
    const allreduce: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = process.hrtime.bigint();
      await group.native.allReduce(buffer);
      allreduce.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    const paramsEqual = await sameWeights(model, group);
    if (group.rank !== 0) return undefined;
    const step = median(times);
    return {
      impl: 'vgg2-torch',
      ranks: group.worldSize,
      arch: o.arch,
      size: o.size,
      batch_per_rank: o.batch,
      bf16: o.amp === 'bf16',
      channels_last: o.channelsLast,
      threads_per_rank: native().info().threads,
      step_s: Math.round(step * 1e4) / 1e4,
      img_per_s: Math.round(((group.worldSize * o.batch) / step) * 100) / 100,
      allreduce_ms: Math.round(median(allreduce) * 10) / 10,
      comm_wait_ms: Math.round(median(waits) * 10) / 10,
      gradient_mb: Math.round(((model.parameterCount * 4) / 2 ** 20) * 10) / 10,
      params_equal: paramsEqual,
      torch: native().torchVersion,
    };
  } finally {
    group.close();
    model.dispose();
  }
}

/** Whether every rank's weights equal rank 0's bit for bit (each saves them; one machine's files compared). */
async function sameWeights(model: Model, group: ProcessGroup): Promise<boolean> {
  const dir = path.join(os.tmpdir(), `vgg2-ddp-bench-${process.env.MASTER_PORT ?? 'x'}`);
  fs.mkdirSync(dir, { recursive: true });
  const mine = path.join(dir, `rank${group.rank}.safetensors`);
  await model.save(mine);
  await group.barrier();
  const ref = fs.readFileSync(path.join(dir, 'rank0.safetensors'));
  const equal = fs.readFileSync(mine).equals(ref) ? 1 : 0;
  const [agree] = await group.sum([equal]);
  await group.barrier();
  fs.rmSync(mine, { force: true });
  return agree === group.worldSize;
}
