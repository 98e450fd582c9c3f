/**
 * CUDA details in info(): the precision modes by compute capability, the process-wide CUDA
 * settings (cuDNN benchmark, TF32) and their environment switches, `vgg2-torch info`'s CUDA
 * lines; on a machine with CUDA, the devices' details and an fp16 step on the GPU.
 */
import path from 'path';
import { spawnSync } from 'child_process';
import yargs from 'yargs';
import infoCommand from '../bin/commands/info';
import { Model } from '../lib';
import { cudaPrecisions, info } from '../lib/info';
import { repoRoot } from './helpers/paths';
import { colourBatch } from './helpers/batches';

test.each([
  ['9.0', ['fp32', 'tf32', 'fp16', 'bf16']], // H100
  ['8.6', ['fp32', 'tf32', 'fp16', 'bf16']], // RTX 30xx
  ['7.5', ['fp32', 'fp16']], // T4
  ['6.1', ['fp32', 'fp16']],
  ['5.2', ['fp32']],
  ['12.0', ['fp32', 'tf32', 'fp16', 'bf16']],
  ['sm_90', ['fp32']],
])('capability %s runs %j natively', (capability, modes) => {
  expect(cudaPrecisions(capability)).toEqual(modes);
});

test('info() reports the CUDA fields, consistent with the devices list', () => {
  const i = info();
  expect(Array.isArray(i.cudaDevices)).toBe(true);
  // This process's settings, from its environment as the switches below define them.
  const tf32 = process.env.VGG2_TF32;
  expect(i.cudnnBenchmark).toBe(process.env.VGG2_CUDNN_BENCHMARK !== '0');
  expect(i.tf32).toEqual(
    tf32 === undefined ? { conv: true, matmul: false } : { conv: tf32 !== '0', matmul: tf32 !== '0' },
  );
  const cudaNames = i.devices.filter((d) => d.startsWith('cuda:'));
  if (i.cuda) {
    expect(cudaNames.length).toBe(i.cudaDevices.length);
    expect(i.cudaRuntime).toMatch(/^\d+\.\d+$/);
  } else {
    expect(cudaNames).toEqual([]);
    expect(i.cudaRuntime).toBeNull();
    expect(i.cudnn).toBeNull();
  }
  for (const d of i.cudaDevices) {
    expect(d.name.length).toBeGreaterThan(0);
    expect(d.totalMemory).toBeGreaterThan(2 ** 30);
    expect(d.capability).toMatch(/^\d+\.\d+$/);
    expect(d.multiprocessors).toBeGreaterThan(0);
    expect(d.precisions).toEqual(cudaPrecisions(d.capability));
  }
});

function childInfo(env: Record<string, string>): { cudnnBenchmark: boolean; tf32: { conv: boolean; matmul: boolean } } {
  const script = `process.stdout.write(JSON.stringify(require(${JSON.stringify(path.join(repoRoot, 'build/Release/vgg2_torch.node'))}).info()))`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

test('cuDNN benchmark is on by default, TF32 follows LibTorch (conv on, matmul off); both switch by environment', () => {
  const defaults = childInfo({});
  expect(defaults.cudnnBenchmark).toBe(true);
  expect(defaults.tf32).toEqual({ conv: true, matmul: false });
  expect(childInfo({ VGG2_CUDNN_BENCHMARK: '0', VGG2_TF32: '0' })).toMatchObject({
    cudnnBenchmark: false,
    tf32: { conv: false, matmul: false },
  });
  expect(childInfo({ VGG2_TF32: '1' }).tf32).toEqual({ conv: true, matmul: true });
});

test('`vgg2-torch info` prints the CUDA line, and --json the CUDA fields', async () => {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
  try {
    await yargs(['info']).command(infoCommand).strict().parseAsync();
    await yargs(['info', '--json']).command(infoCommand).strict().parseAsync();
  } finally {
    log.mockRestore();
  }
  const i = info();
  const cudaLine = lines.find((l) => l.startsWith('CUDA '));
  expect(cudaLine).toMatch(
    i.cuda ? /yes \(CUDA \d+\.\d+, cuDNN/ : i.cudaDevices.length ? /CPU-only; rebuild with LIBTORCH=/ : /\bno$/,
  );
  expect(lines.some((l) => l.startsWith('cuDNN benchmark'))).toBe(i.cuda);
  const json = JSON.parse(lines[lines.length - 1]);
  expect(json.cudaDevices).toEqual(i.cudaDevices);
  expect(json.tf32).toEqual(i.tf32);
});

// Runs wherever this LibTorch has CUDA (the GPU check runs the fuller version: scripts/gpu-check.sh).
(info().cuda ? test : test.skip)(
  'CUDA: fp16 steps with loss scaling and bf16 steps reduce the loss on the GPU',
  async () => {
    const { x, labels, shape } = colourBatch(16, 64, 4);
    for (const amp of ['fp16', 'bf16'] as const) {
      const model = await Model.create({ numClasses: 4, device: 'cuda', amp, channelsLast: true, seed: 0 });
      const losses: number[] = [];
      for (let i = 0; i < 10; i++) losses.push((await model.trainStep(x, shape, labels, { lr: 0.002 })).loss);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses[9]).toBeLessThan(losses[0]);
      model.dispose();
    }
  },
);
