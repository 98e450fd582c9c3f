/**
 * No libuv pool thread waits for native work: LibTorch calls run on the compute thread and
 * decodeBatch on the decode thread (native/task_thread.h), and their promises settle through a
 * thread-safe function (native/settler.h). Measured in child processes with UV_THREADPOOL_SIZE=1,
 * where a call that held a pool thread would make every file read wait for the whole step.
 */
import { spawnSync } from 'child_process';
import { repoRoot } from './helpers/paths';

const prelude = `
const b = require('node-gyp-build')(${JSON.stringify(repoRoot)});
const { performance } = require('perf_hooks');
const n = 4, s = 64, x = new Uint8Array(n * s * s * 3).map((_, i) => (i * 31) & 255);
const y = Int32Array.from({ length: n }, (_, i) => i % 4);
const shape = [n, s, s, 3];
`;

function run(script: string, timeout = 240_000): string {
  const r = spawnSync(process.execPath, ['-e', prelude + script], {
    env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    encoding: 'utf8',
    timeout,
  });
  if (r.status !== 0 || r.signal) throw new Error(`child failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

test('during a training step the event loop stays responsive and libuv pool work completes', () => {
  const out = run(`
const crypto = require('crypto');
const pool = (t0) => new Promise((ok, fail) =>
  crypto.pbkdf2('p', 's', 1, 32, 'sha256', (e) => (e ? fail(e) : ok(performance.now() - t0))));
(async () => {
  const e = await b.createEngine({ numClasses: 4, seed: 0, momentum: 0.9, weightDecay: 5e-4 });
  await e.trainStep(x, shape, y, { lr: 0.001 });
  await pool(0); // the pool's one thread exists from here on
  const rounds = [];
  for (let r = 0; r < 3; r++) {
    let last = performance.now(), maxLag = 0, ticking = true;
    const tick = () => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last);
      last = now;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const t0 = performance.now();
    const step = e.trainStep(x, shape, y, { lr: 0.001 }).then(() => performance.now() - t0);
    const [stepMs, poolMs] = await Promise.all([step, pool(t0)]);
    ticking = false;
    rounds.push({ stepMs, poolMs, maxLag });
  }
  console.log(JSON.stringify(rounds));
})();`);
  const rounds: { stepMs: number; poolMs: number; maxLag: number }[] = JSON.parse(out.trim());
  const table = rounds.map((r) => [r.stepMs, r.poolMs, r.maxLag].map(Math.round));
  process.stderr.write(`rounds, [step, pool work, max event-loop lag] (ms): ${JSON.stringify(table)}\n`);
  for (const r of rounds) {
    // A pool thread that waited for the step would give poolMs >= stepMs.
    expect(r.poolMs).toBeLessThan(r.stepMs / 4);
    expect(r.maxLag).toBeLessThan(r.stepMs / 4);
    expect(r.maxLag).toBeLessThan(1000);
  }
});

test('a pending call keeps the process alive until it settles; an idle addon does not', () => {
  // Nothing else holds the event loop: exiting before the promise settled would print nothing.
  expect(
    run(`b.createEngine({ numClasses: 4, seed: 0, momentum: 0.9, weightDecay: 5e-4 }).then((e) => e.forward(x, shape))
    .then((r) => console.log('settled', r.logits.length));`),
  ).toMatch(/^settled \d+/);
  // Idle with a live engine: the process ends on its own (spawnSync's timeout would kill it).
  expect(
    run(
      `b.createEngine({ numClasses: 4, seed: 0, momentum: 0.9, weightDecay: 5e-4 }).then(() => console.log('idle'));`,
      60_000,
    ),
  ).toBe('idle\n');
});

test('work that finishes after its environment is gone is dropped without a crash', () => {
  const out = run(`
const { Worker } = require('worker_threads');
(async () => {
  // A worker thread's environment torn down while its step runs on the compute thread.
  const w = new Worker(\`
    const b = require('node-gyp-build')(${JSON.stringify(repoRoot)});
    const { parentPort } = require('worker_threads');
    const n = 4, s = 64, x = new Uint8Array(n * s * s * 3), y = Int32Array.from({ length: n }, (_, i) => i % 4);
    b.createEngine({ numClasses: 4, seed: 0, momentum: 0.9, weightDecay: 5e-4 }).then((e) => {
      e.trainStep(x, [n, s, s, 3], y, { lr: 0.001 });
      parentPort.postMessage('started');
    });\`, { eval: true });
  await new Promise((ok) => w.once('message', ok));
  await w.terminate();
  // The main environment's calls queue behind the dropped step and still settle.
  const e = await b.createEngine({ numClasses: 4, seed: 0, momentum: 0.9, weightDecay: 5e-4 });
  const r = await e.trainStep(x, shape, y, { lr: 0.001 });
  console.log('alive', Number.isFinite(r.loss));
  // And the process may exit with a step in flight.
  e.trainStep(x, shape, y, { lr: 0.001 });
  setTimeout(() => process.exit(0), 20);
})();`);
  expect(out).toBe('alive true\n');
});
