/**
 * The caching CPU allocator against plain malloc (VGG2_CPU_CACHE_MB=0): training step throughput
 * and page faults, alternated in one run. Keeps the allocator honest: it stays only while it pays.
 */
import os from 'os';
import { Row, Suite, median, ourCli } from '../harness';

/** One `bench train` run; `cacheMb` '0' turns the cache off. */
const step = (args: string[], cacheMb?: string) =>
  ourCli(['bench', 'train', ...args], cacheMb === undefined ? {} : { VGG2_CPU_CACHE_MB: cacheMb });

const suite: Suite = {
  name: 'cpu-allocator',
  describe: 'training step with the caching CPU allocator vs without (VGG2_CPU_CACHE_MB=0), ResNet-50 112x112 batch 16',
  async run({ rounds, quick, smoke, log }) {
    const rows: Row[] = [];
    const threads = String(os.cpus().length);
    const steps = smoke ? '1' : quick ? '3' : '8';
    for (const amp of ['off', 'bf16']) {
      const args = [
        '--arch',
        'resnet50',
        '--size',
        '112',
        '--batch',
        '16',
        '--threads',
        threads,
        '--steps',
        steps,
        '--warmup',
        smoke ? '1' : '3',
        ...(amp === 'bf16' ? ['--amp', 'bf16', '--channels-last'] : []),
      ];
      const on: Record<string, number>[] = [];
      const off: Record<string, number>[] = [];
      for (let r = 0; r < (smoke ? 1 : rounds); r++) {
        on.push(step(args));
        off.push(step(args, '0'));
        log(
          `  round ${r + 1}: cache ${on[r].img_per_s} img/s (${on[r].page_faults_per_step} faults/step), ` +
            `no cache ${off[r].img_per_s} img/s (${off[r].page_faults_per_step} faults/step)`,
        );
      }
      const ours = median(on.map((m) => m.img_per_s));
      const base = median(off.map((m) => m.img_per_s));
      rows.push({
        suite: 'cpu-allocator',
        config: `resnet50 ${amp === 'bf16' ? 'bf16 + channels_last' : 'fp32'}`,
        unit: 'img/s',
        ours,
        pytorch: base,
        ratio: ours / base,
        target: 1.0,
        baseline: 'without the cache',
        rounds,
      });
    }
    return rows;
  },
};

export default suite;
