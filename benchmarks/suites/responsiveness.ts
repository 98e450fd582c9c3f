/**
 * The event loop and libuv's pool during training steps (benchmarks/responsive-probe.ts, with
 * UV_THREADPOOL_SIZE=1), against another build of the addon (--baseline-addon ROOT, e.g. a
 * worktree of an older commit) when given, else against itself. Rounds alternate.
 */
import path from 'path';
import { Row, Suite, jsonLine, repoRoot } from '../harness';
import { median } from '../../lib/bench/median';

const metrics = [
  ['steps_per_s', 'steps/s'],
  ['steps_per_s_probed', 'steps/s'],
  ['lag_p99_ms', 'ms'],
  ['lag_max_ms', 'ms'],
  ['pool_p50_ms', 'ms'],
  ['pool_max_ms', 'ms'],
] as const;

const suite: Suite = {
  name: 'responsiveness',
  describe: 'event-loop delay and libuv pool latency during ResNet-50 bf16 steps, 64 px, batch 8',
  optIn: true,
  flags: {
    'baseline-addon': 'root of another checkout whose build/ to compare against (e.g. a worktree of an older commit)',
  },
  async run({ rounds, quick, smoke, arg, log }) {
    const base = arg('baseline-addon') ?? repoRoot;
    const args = ['64', '8', smoke ? '2' : quick ? '5' : '10'];
    const probe = (root: string) => {
      process.env.UV_THREADPOOL_SIZE = '1';
      return jsonLine(process.execPath, [path.join(__dirname, '..', 'responsive-probe.js'), root, ...args]);
    };
    const ours: Record<string, number>[] = [];
    const theirs: Record<string, number>[] = [];
    for (let r = 0; r < rounds; r++) {
      ours.push(probe(repoRoot) as Record<string, number>);
      theirs.push(probe(base) as Record<string, number>);
      log(`  round ${r + 1}/${rounds}: ours ${JSON.stringify(ours[r])}\n    baseline ${JSON.stringify(theirs[r])}`);
    }
    return metrics.map(([key, unit]): Row => {
      const a = median(ours.map((m) => m[key]));
      const b = median(theirs.map((m) => m[key]));
      return { suite: 'responsiveness', config: key, unit, ours: a, pytorch: b, ratio: a / b, baseline: base, rounds };
    });
  },
};

export default suite;
