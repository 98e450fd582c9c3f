/**
 * Inference throughput against torch_bench.py --mode infer (ResNet-50, 112x112, batch 32, CPU):
 * fp32; bf16 with channels_last (ours: BatchNorm folded); dynamic int8 (the Linear layers:
 * PyTorch's quantize_dynamic); static int8 (PyTorch FX, the same engine) — and the int8 file's
 * size against the fp32 safetensors.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Row, Suite, alternate, ourCli, reference } from '../harness';
import { Model } from '../../lib/model';

const configs = [
  { label: 'fp32', ours: ['--amp', 'off'], theirs: [] as string[], target: 0.98 },
  {
    label: 'bf16 + channels_last',
    ours: ['--amp', 'bf16', '--channels-last'],
    theirs: ['--bf16', '--channels-last'],
    target: 0.98,
  },
  {
    label: 'dynamic int8 (Linear)',
    ours: ['--amp', 'off', '--int8', 'dynamic'],
    theirs: ['--int8-linear'],
    target: 0.95,
  },
  { label: 'static int8', ours: ['--amp', 'off', '--int8', 'static'], theirs: ['--int8-static'], target: 0.95 },
];

async function fileSizes(dir: string): Promise<{ fp32: number; int8: number }> {
  const model = await Model.create({ arch: 'resnet50', numClasses: 8631, seed: 0, inputSize: 112 });
  try {
    const calibration = [
      { data: new Uint8Array(8 * 112 * 112 * 3).map((_, i) => (i * 7) & 255), shape: [8, 112, 112, 3] },
    ];
    const q = await model.quantize({ mode: 'static', calibration });
    const [a, b] = [path.join(dir, 'fp32.safetensors'), path.join(dir, 'int8.safetensors')];
    await model.save(a);
    await q.save(b);
    q.dispose();
    return { fp32: fs.statSync(a).size, int8: fs.statSync(b).size };
  } finally {
    model.dispose();
  }
}

const suite: Suite = {
  name: 'infer',
  describe: 'inference forward, ResNet-50 8,631 classes, 112x112, batch 32: fp32, bf16, dynamic and static int8',
  async run({ rounds, quick, smoke, log }) {
    const rows: Row[] = [];
    const threads = String(os.cpus().length);
    const steps = smoke ? '1' : quick ? '3' : '10';
    const common = ['--arch', 'resnet50', '--size', '112', '--batch', '32', '--threads', threads, '--steps', steps];
    const warmup = ['--warmup', smoke ? '1' : '3'];
    const baseline: Record<string, number> = {};
    for (const c of smoke ? configs.slice(3) : configs) {
      log(`infer: ${c.label}`);
      const m = alternate(
        rounds,
        () => ourCli(['bench', 'infer', ...common, ...warmup, ...c.ours]),
        () => reference('torch_bench.py', ['--mode', 'infer', ...common, ...warmup, ...c.theirs]),
        'img_per_s',
        log,
      );
      baseline[c.label] = m.ours;
      rows.push({
        suite: 'infer',
        config: c.label,
        unit: 'img/s',
        ...m,
        ratio: m.ours / m.pytorch,
        target: c.target,
        rounds,
      });
    }
    if (baseline.fp32 && baseline['static int8'])
      rows.push({
        suite: 'infer',
        config: 'static int8 vs our fp32 (target >= 4x)',
        unit: 'img/s',
        ours: baseline['static int8'],
        pytorch: baseline.fp32,
        baseline: 'our fp32',
        ratio: baseline['static int8'] / baseline.fp32,
        target: 4,
        rounds,
      });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-bench-infer-'));
    try {
      const size = await fileSizes(dir);
      rows.push({
        suite: 'infer',
        config: 'static int8 file vs fp32 safetensors (target <= 0.27)',
        unit: 'MiB',
        ours: size.int8 / 2 ** 20,
        pytorch: size.fp32 / 2 ** 20,
        baseline: 'our fp32 file',
        ratio: size.int8 / size.fp32,
        targetMax: 0.27,
        rounds: 1,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

export default suite;
