/**
 * The caching CPU allocator: steps on libuv threads must not page-fault their activations in
 * anew every step (see native/caching_cpu_allocator.h). Measured in child processes, with the
 * cache on and off (VGG2_CPU_CACHE_MB=0), on the same work.
 */
import { spawnSync } from 'child_process';
import { repoRoot } from './helpers/paths';

const script = `
const b = require('node-gyp-build')(${JSON.stringify(repoRoot)});
(async () => {
  const e = await b.createEngine({ numClasses: 10, seed: 0, momentum: 0.9, weightDecay: 5e-4 });
  const n = 8, s = 64, x = new Uint8Array(n * s * s * 3).map((_, i) => (i * 31) & 255);
  const y = Int32Array.from({ length: n }, (_, i) => i % 10);
  for (let i = 0; i < 2; i++) await e.trainStep(x, [n, s, s, 3], y, { lr: 0.01 });
  const f0 = process.resourceUsage().minorPageFault, m0 = process.memoryUsage().rss;
  for (let i = 0; i < 4; i++) await e.trainStep(x, [n, s, s, 3], y, { lr: 0.01 });
  const f1 = process.resourceUsage().minorPageFault, m1 = process.memoryUsage().rss;
  console.log(JSON.stringify({ faultsPerStep: (f1 - f0) / 4, rssGrowth: m1 - m0 }));
})();`;

function run(env: Record<string, string>): { faultsPerStep: number; rssGrowth: number } {
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, VGG2_THREADS: '1', ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim());
}

test('cached: far fewer page faults per step than without the cache, and no growth per step', () => {
  const cached = run({});
  const uncached = run({ VGG2_CPU_CACHE_MB: '0' });
  process.stderr.write(`page faults per step: cached ${cached.faultsPerStep}, uncached ${uncached.faultsPerStep}\n`);
  expect(cached.faultsPerStep).toBeLessThan(uncached.faultsPerStep / 3);
  expect(cached.rssGrowth).toBeLessThan(32 * 2 ** 20);
});
