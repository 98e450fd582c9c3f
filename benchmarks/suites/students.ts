/**
 * The smaller networks (ResNet-18/34, SE-ResNet-18, MobileFaceNet) next to ResNet-50: eval-mode
 * forward throughput, ours (`bench infer --arch A --amp off`) against the same network in PyTorch
 * eager (reference/students.py bench; ResNet-50 through torch_bench.py), 8,631 classes, 112x112,
 * batch 32, CPU — with each network's parameter count and safetensors size.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Row, Suite, alternate, jsonLine, ourCli, reference, referenceDir, repoRoot, systemPython } from '../harness';
import { Model } from '../../lib/model';
import type { Arch } from '../../lib/archs';

const ARCHS: Arch[] = ['resnet50', 'resnet34', 'resnet18', 'senet18', 'mobilefacenet'];

async function sizeOf(arch: Arch, dir: string): Promise<{ parameters: number; bytes: number }> {
  const model = await Model.create({ arch, numClasses: 8631, inputSize: 112 });
  try {
    const file = path.join(dir, `${arch}.safetensors`);
    await model.save(file);
    return { parameters: model.parameterCount, bytes: fs.statSync(file).size };
  } finally {
    model.dispose();
  }
}

const suite: Suite = {
  name: 'students',
  describe: 'ResNet-18/34, SE-ResNet-18 and MobileFaceNet vs ResNet-50: forward img/s against PyTorch, size',
  async run({ rounds, quick, smoke, log }) {
    const rows: Row[] = [];
    const threads = String(os.cpus().length);
    const steps = smoke ? '1' : quick ? '3' : '8';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-bench-students-'));
    try {
      for (const arch of smoke ? ARCHS.slice(-1) : ARCHS) {
        log(`students: ${arch}`);
        const common = ['--size', '112', '--batch', '32', '--threads', threads, '--steps', steps];
        const theirs =
          arch === 'resnet50'
            ? () => reference('torch_bench.py', ['--mode', 'infer', '--arch', arch, ...common])
            : () =>
                jsonLine(
                  systemPython,
                  [
                    path.join(repoRoot, 'reference', 'students.py'),
                    'bench',
                    referenceDir,
                    arch,
                    '8631',
                    '112',
                    '32',
                    threads,
                    steps,
                  ],
                  repoRoot,
                );
        const m = alternate(
          rounds,
          () => ourCli(['bench', 'infer', '--arch', arch, '--amp', 'off', ...common]),
          theirs,
          'img_per_s',
          log,
        );
        const size = await sizeOf(arch, dir);
        rows.push({
          suite: 'students',
          config: `${arch}: ${(size.parameters / 1e6).toFixed(1)}M parameters, ${(size.bytes / 2 ** 20).toFixed(0)} MiB`,
          unit: 'img/s',
          ...m,
          ratio: m.ours / m.pytorch,
          rounds,
        });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

export default suite;
