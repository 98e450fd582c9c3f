/**
 * The HTTP service under load: autocannon clients POSTing faces to `vgg2-torch serve`'s /search
 * (a child process, a gallery of 1,000 people), against the same images searched in this process
 * (decode, batched forward, search) — our code vs our code. Then an overload run with a small
 * queue: 503s (not timeouts) past it.
 */
import { spawn, type ChildProcess } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import autocannon from 'autocannon';
import { embedBatch, resolveOutput } from '../../lib/eval/embed';
import { loadForEval } from '../../lib/eval/load-model';
import { l2NormalizeRows } from '../../lib/eval/vectors';
import { describeGalleryWeights, Gallery } from '../../lib/gallery';
import { Model } from '../../lib/model';
import { nativeDecoder } from '../../lib/data/decode-plans';
import { requestPixels } from '../../lib/serve/images';
import { CoalescingDecoder } from '../../lib/serve/native-decode';
import { metricValue } from '../../lib/serve/metrics';
import { median, repoRoot, type Row, type Suite } from '../harness';

const SAMPLES = path.resolve(repoRoot, '..', 'shared', 'data', 'vggface2', 'samples', 'tight_crop_training');

/** 16 real VGGFace2 JPEGs, read once: the images every client sends in turn and the bare loop embeds. */
function faces(): Buffer[] {
  const files = fs
    .readdirSync(SAMPLES)
    .flatMap((id) => fs.readdirSync(path.join(SAMPLES, id)).map((f) => path.join(SAMPLES, id, f)))
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, 16);
  if (files.length < 16) throw new Error(`${SAMPLES}: expected 16 JPEGs, found ${files.length}`);
  return files.map((f) => fs.readFileSync(f));
}

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

/** The service's own clocks (GET /metrics): seconds in forward passes and searches, images embedded. */
async function clocks(url: string): Promise<{ forward: number; search: number; images: number; batches: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return {
    forward: metricValue(text, 'vgg2_forward_seconds_total'),
    search: metricValue(text, 'vgg2_search_seconds_total'),
    images: metricValue(text, 'vgg2_images_embedded_total'),
    batches: metricValue(text, 'vgg2_forward_batches_total'),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once the service has embedded nothing new for half a second. */
async function settle(url: string): Promise<void> {
  let last = -1;
  for (;;) {
    const { images } = await clocks(url);
    if (images === last) return;
    last = images;
    await sleep(500);
  }
}

function multipart(field: string, bytes: Buffer): { body: Buffer; type: string } {
  const boundary = 'vgg2bench' + Date.now();
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="face.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

async function load(url: string, images: Buffer[], connections: number, seconds: number): Promise<autocannon.Result> {
  const requests = images.map((img) => {
    const { body, type } = multipart('image', img);
    return { method: 'POST' as const, headers: { 'content-type': type }, body };
  });
  return autocannon({
    url: `${url}/search`,
    requests,
    connections,
    duration: seconds,
    timeout: 30,
  });
}

/**
 * The same work without HTTP, as `vgg2-torch search` does it: each batch of the images decoded
 * together (the service's decoder), one forward pass, one gallery search of the batch. Also the
 * forward pass alone, for scale. Each `rate` call measures for `seconds` and returns images and
 * seconds, so that the windows can be interleaved with the service's.
 */
async function bare(
  weights: string,
  galleryDir: string,
  images: Buffer[],
  size: number,
  decoderKind: 'native' | 'sharp',
) {
  const { model } = await loadForEval(weights);
  const gallery = await Gallery.open(galleryDir);
  const output = resolveOutput(model);
  const stride = size * size * 3;
  const data = new Uint8Array(images.length * stride);
  const binding = decoderKind === 'native' ? nativeDecoder() : undefined;
  const limits = { maxPixels: 1e8, decoder: binding && new CoalescingDecoder(binding, size) };
  const decode = async () =>
    (await Promise.all(images.map((b) => requestPixels(b, 'face', size, limits)))).forEach((px, k) =>
      data.set(px, k * stride),
    );
  const forward = async () => void (await embedBatch(model, { data, n: images.length, size }, output, false));
  const withDecode = async () => {
    await decode();
    const { vectors } = await embedBatch(model, { data, n: images.length, size }, output, false);
    const dim = vectors.length / images.length;
    l2NormalizeRows(vectors, dim);
    await gallery.search(
      Array.from(images, (_, k) => vectors.subarray(k * dim, (k + 1) * dim)),
      { k: 5 },
    );
  };
  const rate = async (work: () => Promise<void>, seconds: number): Promise<Tally> => {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < seconds * 1000) {
      await work();
      n += images.length;
    }
    return { images: n, seconds: (performance.now() - t0) / 1000 };
  };
  await withDecode(); // warm-up
  return {
    forwardOnly: (seconds: number) => rate(forward, seconds),
    withDecode: (seconds: number) => rate(withDecode, seconds),
    async close() {
      model.dispose();
      await gallery.close();
    },
  };
}

interface Tally {
  images: number;
  seconds: number;
}
const add = (a: Tally, b: Tally): Tally => ({ images: a.images + b.images, seconds: a.seconds + b.seconds });
const per = (t: Tally) => t.images / t.seconds;

const suite: Suite = {
  name: 'serve',
  describe:
    'vgg2-torch serve under 32 concurrent clients (autocannon) vs the same images embedded in-process (decode + batched forward + search); target ≥ 0.9x',
  optIn: true,
  flags: {
    'serve-size': 'input side in pixels (default 112)',
    'serve-decoder': 'native (default) or sharp: how both sides decode the JPEGs',
  },
  async run({ rounds, quick, smoke, arg, log }) {
    const size = Number(arg('serve-size') ?? 112);
    const decoderKind = arg('serve-decoder') ?? 'native';
    if (decoderKind !== 'native' && decoderKind !== 'sharp')
      throw new Error(`--serve-decoder: native or sharp, got ${decoderKind}`);
    const seconds = smoke ? 2 : 3;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-serve-bench-'));
    try {
      const weights = path.join(dir, 'w.safetensors');
      const m = await Model.create({ arch: 'resnet50', numClasses: 8, inputSize: size, seed: 1 });
      await m.save(weights);
      // A gallery of 1,000 people (random unit templates) made with these weights.
      const galleryDir = path.join(dir, 'gallery');
      const g = await Gallery.open(galleryDir, { create: true, weights: await describeGalleryWeights(weights, m) });
      const dim = resolveOutput(m) === 'embedding' ? m.describe().embeddingDim : 2048;
      await g.enrollMany(
        Array.from({ length: 1000 }, (_, i) => ({
          id: `person${i}`,
          embeddings: [Float32Array.from({ length: dim }, (_, j) => Math.sin(i * 7919 + j * 104729))],
        })),
      );
      await g.close();
      m.dispose();
      const images = faces();
      const served: number[] = [];
      const direct: number[] = [];
      const forwardOnly: number[] = [];
      const p50: number[] = [];
      const p99: number[] = [];
      const growth: number[] = [];
      let failed = 0;
      // This machine's speed drifts by tens of percent within seconds (a shared VM: the forward pass
      // alone measured 96 to 124 img/s in consecutive 4 s windows), so each round interleaves short
      // windows of the three measurements and compares their sums.
      const windows = smoke ? 1 : quick ? 5 : 10;
      for (let r = 0; r < (smoke ? 1 : rounds); r++) {
        const b = await bare(weights, galleryDir, images, size, decoderKind);
        const { child, url } = await startServer([
          ...['--weights', weights, '--gallery', galleryDir],
          ...['--max-batch', '16', '--decoder', decoderKind],
        ]);
        try {
          await load(url, images, 32, 2); // warm-up
          const before = rssMb(child.pid!);
          let fwd: Tally = { images: 0, seconds: 0 };
          let dec: Tally = { images: 0, seconds: 0 };
          let srv: Tally = { images: 0, seconds: 0 };
          let busy = 0;
          let searching = 0;
          let batches = 0;
          let embedded = 0;
          for (let w = 0; w < windows; w++) {
            fwd = add(fwd, await b.forwardOnly(seconds));
            dec = add(dec, await b.withDecode(seconds));
            // The service's own count between two samples taken under full load, so that the clients'
            // ramp-up and their requests cut off at the end are outside the window.
            const running = load(url, images, 32, seconds + 2);
            await sleep(1000);
            const c0 = await clocks(url);
            const t0 = performance.now();
            await sleep(seconds * 1000);
            const c1 = await clocks(url);
            const wall = (performance.now() - t0) / 1000;
            const res = await running;
            await settle(url); // the clients' last requests still in the service would slow the next bare window
            srv = add(srv, { images: c1.images - c0.images, seconds: wall });
            busy += c1.forward - c0.forward;
            searching += c1.search - c0.search;
            batches += c1.batches - c0.batches;
            embedded += c1.images - c0.images;
            p50.push(res.latency.p50);
            p99.push(res.latency.p99);
            failed += res.errors + res.timeouts + res.non2xx;
          }
          growth.push(rssMb(child.pid!) - before);
          served.push(per(srv));
          direct.push(per(dec));
          forwardOnly.push(per(fwd));
          // Where the gap to the bare forward goes: the model idle between passes, or its passes slower.
          const slower = busy / embedded / (1 / per(fwd));
          log(
            `  round ${r + 1}: served ${per(srv).toFixed(1)} img/s vs in-process ${per(dec).toFixed(1)} img/s, forward alone ` +
              `${per(fwd).toFixed(1)} (${windows} interleaved windows of ${seconds} s each); the service's model was in a ` +
              `forward pass ${((100 * busy) / srv.seconds).toFixed(1)}% of the time, in searches ${((100 * searching) / srv.seconds).toFixed(1)}%, ` +
              `${(embedded / batches).toFixed(1)} images per pass, its passes ${slower.toFixed(3)}x the bare one's time per image`,
          );
        } finally {
          child.kill('SIGTERM');
          await b.close();
        }
      }
      // Past the queue: 64 clients against 8 places.
      const { child, url } = await startServer([
        '--weights',
        weights,
        '--gallery',
        galleryDir,
        '--max-batch',
        '4',
        '--max-queue',
        '8',
      ]);
      let over: autocannon.Result;
      try {
        over = await load(url, images, 64, smoke ? 3 : 8);
      } finally {
        child.kill('SIGTERM');
      }
      const codes = over.statusCodeStats as unknown as Record<string, { count: number }>;
      log(
        `  overload (64 clients, queue 8): ${JSON.stringify(codes)}, ${over.timeouts} timeouts, ${over.errors} errors`,
      );
      const n = smoke ? 1 : rounds;
      const base = { suite: 'serve', rounds: n, baseline: 'in-process: decode + batched forward + search, batch 16' };
      return [
        {
          ...base,
          config: `/search (1,000 people), 32 clients, ${size}px, ${decoderKind} JPEG decoding`,
          unit: 'img/s',
          ours: median(served),
          pytorch: median(direct),
          ratio: median(served.map((v, i) => v / direct[i])),
          target: 0.9,
        },
        {
          ...base,
          config: 'the same vs the forward pass alone (no decoding)',
          unit: 'img/s',
          ours: median(served),
          pytorch: median(forwardOnly),
          ratio: median(served.map((v, i) => v / forwardOnly[i])),
          baseline: 'batched forward of decoded pixels',
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
