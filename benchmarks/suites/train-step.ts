/** The native training step against torch_bench.py: same arch, size, batch, precision, threads. */
import os from 'os';
import { Row, Suite, alternate, ourCli, reference } from '../harness';

const configs = [
  { arch: 'resnet50', amp: false, cl: false },
  { arch: 'resnet50', amp: true, cl: true },
  { arch: 'senet50', amp: false, cl: false },
  { arch: 'senet50', amp: true, cl: true },
];

const suite: Suite = {
  name: 'train-step',
  describe: 'one training step (forward, loss, backward, SGD), 8,631 classes, 112x112, batch 16',
  async run({ rounds, quick, log }) {
    const rows: Row[] = [];
    const threads = String(os.cpus().length);
    const steps = quick ? '3' : '10';
    for (const c of configs) {
      const common = [
        '--arch',
        c.arch,
        '--size',
        '112',
        '--batch',
        '16',
        '--threads',
        threads,
        '--steps',
        steps,
        '--warmup',
        '3',
      ];
      const label = `${c.arch} ${c.amp ? 'bf16 + channels_last' : 'fp32'}`;
      log(`train-step: ${label}`);
      const m = alternate(
        rounds,
        () =>
          ourCli(['bench', 'train', ...common, ...(c.amp ? ['--amp', 'bf16', '--channels-last'] : ['--amp', 'off'])]),
        () =>
          reference('torch_bench.py', ['--mode', 'train', ...common, ...(c.amp ? ['--bf16', '--channels-last'] : [])]),
        'img_per_s',
        log,
      );
      rows.push({
        suite: 'train-step',
        config: label,
        unit: 'img/s',
        ...m,
        ratio: m.ours / m.pytorch,
        target: 0.98,
        rounds,
      });
    }
    return rows;
  },
};

export default suite;
