/** info(): what this build of vgg2-torch and this machine offer. */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { CpuAllocatorStats, NativeCudaDevice, native, packageRoot } from './native';

/** Precision modes: fp32, TF32 tensor-core matmuls/convolutions, fp16 and bf16 autocast. */
export type Precision = 'fp32' | 'tf32' | 'fp16' | 'bf16';

export interface CudaDeviceInfo extends NativeCudaDevice {
  /** The precision modes this device runs natively. */
  precisions: Precision[];
}

export interface Info {
  version: string;
  libtorch: string;
  cuda: boolean;
  devices: string[];
  threads: number;
  cores: number;
  quantizedEngines: string[];
  /**
   * bf16 autocast runs on this machine at hardware speed (AVX-512 BF16 / AMX, or a usable CUDA device
   * of capability >= 8.0).
   */
  bf16: boolean;
  cpu: { model: string; avx512bf16: boolean; amx: boolean };
  mkldnn: boolean;
  /** The GPUs the driver reports; usable when `cuda` is true (else this LibTorch is CPU-only). */
  cudaDevices: CudaDeviceInfo[];
  cudaDriver: string | null;
  /** The CUDA runtime and cuDNN this LibTorch was built with. */
  cudaRuntime: string | null;
  cudnn: string | null;
  /** Process-wide CUDA settings (VGG2_CUDNN_BENCHMARK, VGG2_TF32). */
  cudnnBenchmark: boolean;
  tf32: { conv: boolean; matmul: boolean };
  /** The CPU allocator's cache of large blocks (VGG2_CPU_CACHE_MB). */
  cpuAllocator: CpuAllocatorStats;
}

/**
 * The precision modes a CUDA device of this compute capability runs natively: fp16 from 5.3
 * (tensor cores from 7.0), TF32 and bf16 from 8.0 (Ampere), as PyTorch's is_bf16_supported().
 */
export function cudaPrecisions(capability: string): Precision[] {
  const m = /^(\d+)\.(\d+)$/.exec(capability);
  if (!m) return ['fp32'];
  const cc = Number(m[1]) * 10 + Number(m[2]);
  const modes: Precision[] = ['fp32'];
  if (cc >= 80) modes.push('tf32');
  if (cc >= 53) modes.push('fp16');
  if (cc >= 80) modes.push('bf16');
  return modes;
}

function cpuFlags(): Set<string> {
  try {
    const text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const line = /^flags\s*:(.*)$/m.exec(text);
    return new Set(line ? line[1].trim().split(/\s+/) : []);
  } catch {
    return new Set();
  }
}

export function info(): Info {
  const n = native().info();
  const flags = cpuFlags();
  const avx512bf16 = flags.has('avx512_bf16');
  const amx = flags.has('amx_bf16');
  const cudaDevices = n.cudaDevices.map((d) => ({ ...d, precisions: cudaPrecisions(d.capability) }));
  const cudaBf16 = n.cuda && cudaDevices.some((d) => d.precisions.includes('bf16'));
  const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as {
    version: string;
  };
  return {
    version,
    libtorch: n.libtorch,
    cuda: n.cuda,
    devices: n.devices,
    threads: n.threads,
    cores: os.cpus().length,
    quantizedEngines: n.quantizedEngines,
    bf16: avx512bf16 || amx || cudaBf16,
    cpu: { model: os.cpus()[0]?.model ?? 'unknown', avx512bf16, amx },
    mkldnn: n.mkldnn,
    cudaDevices,
    cudaDriver: n.cudaDriver,
    cudaRuntime: n.cudaRuntime,
    cudnn: n.cudnn,
    cudnnBenchmark: n.cudnnBenchmark,
    tf32: n.tf32,
    cpuAllocator: n.cpuAllocator,
  };
}

/** LibTorch's intra-op threads for this process (default: VGG2_THREADS, else every core). */
export function setThreads(n: number): void {
  native().setThreads(n);
}
