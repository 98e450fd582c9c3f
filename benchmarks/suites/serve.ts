/**
 * The HTTP service under load: autocannon clients POSTing one face to `vgg2-torch serve` (a
 * child process), against the bare batched forward of the same image in this process — our
 * code vs our code. Then an overload run with a small queue: 503s (not timeouts) past it.
 */
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import autocannon from 'autocannon';
import { embedBatch, resolveOutput } from '../../lib/eval/embed';
import { loadForEval } from '../../lib/eval/load-model';
import { Model } from '../../lib/model';
import { requestPixels } from '../../lib/serve/images';
import { median, repoRoot, type Row, type Suite } from '../harness';

const FACE = path.resolve(repoRoot, '..', 'shared', 'data', 'orl', 's1', '1.png');

/** Starts `vgg2-torch serve` and resolves its URL once it listens. */
function startServer(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'bin', 'vgg2-torch.js'), 'serve', '--port', '0', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      const m = /listening on (http:\/\/\S+?) /.exec(String(d));
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}): ${err}`)));
  });
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function multipart(field: string, bytes: Buffer): { body: Buffer; type: string } {
  const boundary = 'vgg2bench' + Date.now();
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="face.png"\r\nContent-Type: image/png\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

async function load(url: string, connections: number, seconds: number): Promise<autocannon.Result> {
  const { body, type } = multipart('image', fs.readFileSync(FACE));
  return autocannon({
    url: `${url}/embed`,
    method: 'POST',
    headers: { 'content-type': type },
    body,
    connections,
    duration: seconds,
    timeout: 30,
  });
}

/** Images/s of embedBatch on a full batch of the same decoded image, for `seconds`. */
async function bareForward(weights: string, size: number, batch: number, seconds: number): Promise<number> {
  const { model } = await loadForEval(weights);
  try {
    const px = await requestPixels(fs.readFileSync(FACE), 'face', size, { maxPixels: 1e8 });
    const data = new Uint8Array(batch * px.length);
    for (let k = 0; k < batch; k++) data.set(px, k * px.length);
    const output = resolveOutput(model);
    await embedBatch(model, { data, n: batch, size }, output, false);
    let images = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      await embedBatch(model, { data, n: batch, size }, output, false);
      images += batch;
    }
    return images / ((performance.now() - t0) / 1000);
  } finally {
    model.dispose();
  }
}

const suite: Suite = {
  name: 'serve',
  describe: 'vgg2-torch serve under 32 concurrent clients (autocannon) vs the bare batched forward; target ≥ 0.9x',
  optIn: true,
  flags: { 'serve-size': 'input side in pixels (default 112)' },
  async run({ rounds, quick, smoke, arg, log }) {
    const size = Number(arg('serve-size') ?? 112);
    const seconds = smoke ? 3 : quick ? 10 : 20;
    const batch = 16;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-serve-bench-'));
    try {
      const weights = path.join(dir, 'w.safetensors');
      const m = await Model.create({ arch: 'resnet50', numClasses: 8, inputSize: size, seed: 1 });
      await m.save(weights);
      m.dispose();
      const served: number[] = [];
      const bare: number[] = [];
      const p50: number[] = [];
      const p99: number[] = [];
      const growth: number[] = [];
      let failed = 0;
      for (let r = 0; r < (smoke ? 1 : rounds); r++) {
        bare.push(await bareForward(weights, size, batch, seconds));
        const { child, url } = await startServer(['--weights', weights, '--max-batch', String(batch)]);
        try {
          await load(url, 32, 2); // warm-up
          const before = rssMb(child.pid!);
          const res = await load(url, 32, seconds);
          growth.push(rssMb(child.pid!) - before);
          served.push(res.requests.average);
          p50.push(res.latency.p50);
          p99.push(res.latency.p99);
          failed += res.errors + res.timeouts + res.non2xx;
          log(
            `  round ${r + 1}: served ${res.requests.average} img/s (p50 ${res.latency.p50} ms, p99 ${res.latency.p99} ms, ` +
              `${res.non2xx} non-2xx, ${res.errors} errors, ${res.timeouts} timeouts) vs bare ${bare[r].toFixed(1)} img/s`,
          );
        } finally {
          child.kill('SIGTERM');
        }
      }
      // Past the queue: 64 clients against 8 places.
      const { child, url } = await startServer(['--weights', weights, '--max-batch', '4', '--max-queue', '8']);
      let over: autocannon.Result;
      try {
        over = await load(url, 64, smoke ? 3 : 8);
      } finally {
        child.kill('SIGTERM');
      }
      const codes = over.statusCodeStats as unknown as Record<string, { count: number }>;
      log(
        `  overload (64 clients, queue 8): ${JSON.stringify(codes)}, ${over.timeouts} timeouts, ${over.errors} errors`,
      );
      const n = smoke ? 1 : rounds;
      const base = { suite: 'serve', rounds: n, baseline: 'bare batched forward (same image, batch 16)' };
      return [
        {
          ...base,
          config: `/embed, 32 clients, ${size}px`,
          unit: 'img/s',
          ours: median(served),
          pytorch: median(bare),
          ratio: median(served) / median(bare),
          target: 0.9,
        },
        { ...base, config: 'p50 latency', unit: 'ms', ours: median(p50), pytorch: NaN, ratio: NaN },
        { ...base, config: 'p99 latency', unit: 'ms', ours: median(p99), pytorch: NaN, ratio: NaN },
        {
          ...base,
          config: 'failed requests under the queue limit',
          unit: 'count',
          ours: failed,
          pytorch: 0,
          ratio: NaN,
        },
        { ...base, config: 'RSS growth during the load', unit: 'MB', ours: median(growth), pytorch: NaN, ratio: NaN },
        {
          ...base,
          config: 'overload: 503s / timeouts',
          unit: 'count',
          ours: codes['503']?.count ?? 0,
          pytorch: over.timeouts,
          ratio: NaN,
        },
      ] as Row[];
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default suite;
