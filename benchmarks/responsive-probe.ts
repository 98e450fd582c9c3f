/**
 * `node dist/benchmarks/responsive-probe.js ADDON_ROOT [size] [batch] [steps]`: back-to-back
 * training steps through the addon found under ADDON_ROOT (node-gyp-build): first alone (steps/s),
 * then with the event loop's delay (perf_hooks.monitorEventLoopDelay) and the latency of libuv
 * pool work (a 1-iteration crypto.pbkdf2, queued every 5 ms) measured while they run (the probes
 * cost CPU, so the steps/s of that part is reported apart). Prints one JSON line.
 * Run with UV_THREADPOOL_SIZE=1 to see whether a step holds a pool thread.
 */
import crypto from 'crypto';
import { monitorEventLoopDelay, performance } from 'perf_hooks';
import { median } from '../lib/bench/median';
import { loadBinding } from '../lib/native';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
}

async function main(): Promise<void> {
  const [root, size = '64', batch = '8', steps = '10'] = process.argv.slice(2);
  const b = loadBinding(root); // the addon of any build root
  const n = Number(batch),
    s = Number(size);
  const x = new Uint8Array(n * s * s * 3).map((_, i) => (i * 31) & 255);
  const y = Int32Array.from({ length: n }, (_, i) => i % 10);
  const e = await b.createEngine({
    numClasses: 10,
    seed: 0,
    amp: 'bf16',
    channelsLast: true,
    momentum: 0.9,
    weightDecay: 5e-4,
  });
  const step = () => e.trainStep(x, [n, s, s, 3], y, { lr: 0.001 });
  const timed = async () => {
    const t = performance.now();
    for (let i = 0; i < Number(steps); i++) await step();
    return Number(steps) / ((performance.now() - t) / 1000);
  };
  for (let i = 0; i < 2; i++) await step();
  const alone = await timed();
  const pool: number[] = [];
  let probing = true;
  const probe = () => {
    if (!probing) return;
    const t = performance.now();
    crypto.pbkdf2('p', 's', 1, 32, 'sha256', () => {
      pool.push(performance.now() - t);
      setTimeout(probe, 5);
    });
  };
  const lag = monitorEventLoopDelay({ resolution: 5 });
  lag.enable();
  probe();
  const probed = await timed();
  probing = false;
  lag.disable();
  const ms = (ns: number) => ns / 1e6;
  console.log(
    JSON.stringify({
      steps_per_s: alone,
      steps_per_s_probed: probed,
      lag_p50_ms: ms(lag.percentile(50)),
      lag_p99_ms: ms(lag.percentile(99)),
      lag_max_ms: ms(lag.max),
      pool_n: pool.length,
      pool_p50_ms: median(pool),
      pool_max_ms: quantile(pool, 1),
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
