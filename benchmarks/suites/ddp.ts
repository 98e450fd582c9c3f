/**
 * Data-parallel training against ../shared/reference/ddp_bench.py (PyTorch DDP on c10d Gloo), N
 * local ranks over loopback: step throughput of every rank's images at 1 and 2 ranks, the time of
 * one all-reduce of the whole gradient, and what overlap with backward saves (step time at 2 ranks
 * against 1 rank's compute plus a separate all-reduce).
 */
import { Row, Suite, ourCli, reference } from '../harness';
import { median } from '../../lib/bench/median';

const suite: Suite = {
  name: 'ddp',
  describe:
    'data-parallel training steps, c10d Gloo over loopback: ResNet-50, 8,631 classes, 112x112, batch 8 per rank',
  async run({ rounds, quick, smoke, log }) {
    const rows: Row[] = [];
    const steps = smoke ? '2' : quick ? '4' : '8';
    const by: Record<string, Record<string, number[]>> = {};
    for (const ranks of smoke ? [2] : [1, 2]) {
      const common = ['--ranks', String(ranks), '--size', '112', '--batch', '8', '--steps', steps, '--warmup', '2'];
      for (let r = 0; r < rounds; r++) {
        const ours = ourCli(['bench', 'ddp', ...common, '--amp', 'off', '--port', String(29531 + r)]);
        const theirs = reference('ddp_bench.py', [...common, '--port', String(29541 + r)]);
        if (!ours.params_equal) throw new Error('bench ddp: the ranks ended with different weights');
        log(
          `  ${ranks} rank(s), round ${r + 1}/${rounds}: ours ${ours.img_per_s} img/s (all-reduce ${ours.allreduce_ms} ms)` +
            ` / pytorch ${theirs.img_per_s} img/s (all-reduce ${theirs.allreduce_ms} ms)`,
        );
        for (const [k, v] of Object.entries({
          [`ours.img.${ranks}`]: ours.img_per_s,
          [`torch.img.${ranks}`]: theirs.img_per_s,
          [`ours.ar.${ranks}`]: ours.allreduce_ms,
          [`torch.ar.${ranks}`]: theirs.allreduce_ms,
          [`ours.step.${ranks}`]: ours.step_s,
          [`ours.wait.${ranks}`]: ours.comm_wait_ms,
        })) {
          by[k] = by[k] ?? { v: [] };
          by[k].v.push(Number(v));
        }
      }
      const m = (k: string) => median(by[k].v);
      rows.push({
        suite: 'ddp',
        config: `resnet50 fp32, ${ranks} rank${ranks > 1 ? 's' : ''} x batch 8`,
        unit: 'img/s',
        ours: m(`ours.img.${ranks}`),
        pytorch: m(`torch.img.${ranks}`),
        ratio: m(`ours.img.${ranks}`) / m(`torch.img.${ranks}`),
        target: 0.95,
        rounds,
      });
      if (ranks > 1)
        rows.push({
          suite: 'ddp',
          config: `all-reduce of the gradient (${ranks} ranks, loopback)`,
          unit: 'ms',
          ours: m(`ours.ar.${ranks}`),
          pytorch: m(`torch.ar.${ranks}`),
          ratio: m(`ours.ar.${ranks}`) / m(`torch.ar.${ranks}`),
          targetMax: 1.05,
          rounds,
        });
    }
    if (!smoke) {
      // Overlap: of one whole-gradient all-reduce, how much a 2-rank step still waits for after backward.
      const ar = median(by['ours.ar.2'].v);
      const wait = median(by['ours.wait.2'].v);
      log(
        `ddp: 1 rank ${median(by['ours.step.1'].v).toFixed(3)} s/step, 2 ranks ${median(by['ours.step.2'].v).toFixed(3)} ` +
          `s/step; all-reduce ${ar.toFixed(0)} ms, ${wait.toFixed(0)} ms of it waited for after backward`,
      );
      rows.push({
        suite: 'ddp',
        config: 'gradient all-reduce left after backward (2 ranks, per step)',
        unit: 'ms',
        ours: wait,
        pytorch: ar,
        ratio: wait / ar,
        baseline: 'one whole-gradient all-reduce, not overlapped (ours)',
        rounds,
      });
    }
    return rows;
  },
};

export default suite;
