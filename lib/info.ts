/** info(): what this build of vgg2-torch and this machine offer. */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { native, packageRoot } from './native';

export interface Info {
  version: string;
  libtorch: string;
  cuda: boolean;
  devices: string[];
  threads: number;
  cores: number;
  quantizedEngines: string[];
  /** bf16 autocast runs on this machine at hardware speed (AVX-512 BF16 / AMX, or a CUDA device). */
  bf16: boolean;
  cpu: { model: string; avx512bf16: boolean; amx: boolean };
  mkldnn: boolean;
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
  const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return {
    version,
    libtorch: n.libtorch,
    cuda: n.cuda,
    devices: n.devices,
    threads: n.threads,
    cores: os.cpus().length,
    quantizedEngines: n.quantizedEngines,
    bf16: avx512bf16 || amx || n.cuda,
    cpu: { model: os.cpus()[0]?.model ?? 'unknown', avx512bf16, amx },
    mkldnn: n.mkldnn,
  };
}

/** LibTorch's intra-op threads for this process (default: VGG2_THREADS, else every core). */
export function setThreads(n: number): void {
  native().setThreads(n);
}
