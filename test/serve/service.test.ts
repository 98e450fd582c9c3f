/**
 * The HTTP service end to end on a real port: real fastify, a real (tiny) model, real sharp, the
 * responses checked against the embed path the CLI uses.
 */
import * as fs from 'fs';
import * as path from 'path';
import zlib from 'zlib';
import { embedDataset } from '../../lib/eval/embed';
import { ImageListDataset } from '../../lib/eval/image-list';
import { loadForEval } from '../../lib/eval/load-model';
import { dot } from '../../lib/eval/vectors';
import { describeGalleryWeights, Gallery } from '../../lib/gallery';
import type { Model } from '../../lib/model';
import { createService, type Service } from '../../lib/serve/server';
import { metricValue } from '../../lib/serve/metrics';
import { tinyWeights } from '../eval/helpers';
import { dataDir, tmpDir, removeTmpDirs } from '../helpers/paths';

jest.setTimeout(120_000);

const face = (s: number, k: number) => path.join(dataDir, 'orl', `s${s}`, `${k}.png`);
/** Real VGGFace2 JPEGs. */
const vggJpegs = () => {
  const root = path.join(dataDir, 'vggface2', 'samples', 'tight_crop_training');
  return fs.readdirSync(root).flatMap((id) => fs.readdirSync(path.join(root, id)).map((f) => path.join(root, id, f)));
};
let dir: string;
let model: Model;
let service: Service;
let base: string;
let jpegA: Buffer;
let jpegB: Buffer;

let gallery: Gallery;

async function post(route: string, form: FormData | object, token?: string): Promise<Response> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  if (form instanceof FormData) return fetch(base + route, { method: 'POST', body: form, headers });
  return fetch(base + route, {
    method: 'POST',
    body: JSON.stringify(form),
    headers: { ...headers, 'content-type': 'application/json' },
  });
}

const blob = (b: Buffer) => new Blob([b]);
function formOf(fields: Record<string, Buffer | string | Buffer[]>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string') f.append(k, v);
    else for (const b of Array.isArray(v) ? v : [v]) f.append(k, blob(b), `${k}.jpg`);
  }
  return f;
}

/** A PNG whose header declares w×h (one tiny IDAT: sharp reads the header without decoding). */
function pngHeader(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    sig,
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(16))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

beforeAll(async () => {
  dir = tmpDir('serve');
  const weights = await tinyWeights(path.join(dir, 'w.safetensors'));
  ({ model } = await loadForEval(weights));
  gallery = await Gallery.open(path.join(dir, 'gallery'), {
    create: true,
    weights: await describeGalleryWeights(weights, model),
  });
  const sharp = (await import('sharp')).default;
  jpegA = await sharp(face(1, 1)).jpeg().toBuffer();
  jpegB = await sharp(face(2, 1)).jpeg().toBuffer();
  service = await createService({ model, gallery, token: 'sesame', maxBodyBytes: 256 * 1024, windowMs: 2 });
  base = await service.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await service?.close();
  await gallery?.close();
  model?.dispose();
  removeTmpDirs();
});

test('embed (multipart and base64) equals the CLI embed path on the same file', async () => {
  // A PNG: the CLI decodes it through sharp as the service does (JPEGs take its native decoder).
  const png = fs.readFileSync(face(1, 1));
  const ref = await embedDataset(model, new ImageListDataset([face(1, 1)], 'ref'), { crop: 'none' });
  const r1 = await post('/embed', formOf({ image: png }));
  expect(r1.status).toBe(200);
  const e1 = (await r1.json()) as { dim: number; embedding: number[] };
  expect(e1.dim).toBe(ref.dim);
  const r2 = await post('/embed', { image: png.toString('base64') });
  const e2 = (await r2.json()) as { embedding: number[] };
  for (let i = 0; i < ref.dim; i++) {
    expect(e1.embedding[i]).toBeCloseTo(ref.data[i], 5);
    expect(e2.embedding[i]).toBeCloseTo(ref.data[i], 5);
  }
});

test('a JPEG is decoded natively, as the CLI embed path decodes it: the same embedding', async () => {
  const file = vggJpegs()[0];
  const ref = await embedDataset(model, new ImageListDataset([file], 'ref'), { crop: 'none' });
  const r = await post('/embed', formOf({ image: fs.readFileSync(file) }));
  expect(r.status).toBe(200);
  const e = (await r.json()) as { embedding: number[] };
  for (let i = 0; i < ref.dim; i++) expect(e.embedding[i]).toBeCloseTo(ref.data[i], 5);
});

test("decoder 'sharp' takes JPEGs through sharp instead (close, not equal); another decoder is refused", async () => {
  await expect(createService({ model, decoder: 'libjpeg' as 'sharp' })).rejects.toThrow(
    /decoder must be 'native' or 'sharp', got 'libjpeg'/,
  );
  const viaSharp = await createService({ model, decoder: 'sharp' });
  const url = await viaSharp.app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const image = fs.readFileSync(vggJpegs()[0]);
    const embed = async (at: string) =>
      Float32Array.from(
        (
          (await (await fetch(`${at}/embed`, { method: 'POST', body: formOf({ image }) })).json()) as {
            embedding: number[];
          }
        ).embedding,
      );
    const [s, n] = [await embed(url), await embed(base)];
    const cos = dot(s, 0, n, 0, s.length);
    expect(cos).toBeGreaterThan(0.98);
    expect(cos).toBeLessThan(1 - 1e-7);
  } finally {
    await viaSharp.close();
  }
});

test('verify: the similarity of the two embeddings', async () => {
  const files = [face(1, 1), face(2, 1)];
  const ref = await embedDataset(model, new ImageListDataset(files, 'ref'), { crop: 'none' });
  const r = await post(
    '/verify',
    formOf({ a: fs.readFileSync(files[0]), b: fs.readFileSync(files[1]), threshold: '0.5' }),
  );
  expect(r.status).toBe(200);
  const v = (await r.json()) as { similarity: number; same: boolean; threshold: number };
  const s = dot(ref.data, 0, ref.data, 1, ref.dim);
  expect(v.similarity).toBeCloseTo(s, 5);
  expect(v.same).toBe(s >= 0.5);
});

test('concurrent requests share forward passes', async () => {
  const before = service.batcher.batches;
  const rs = await Promise.all(Array.from({ length: 12 }, () => post('/embed', formOf({ image: jpegA }))));
  expect(rs.every((r) => r.status === 200)).toBe(true);
  const vectors = await Promise.all(rs.map(async (r) => ((await r.json()) as { embedding: number[] }).embedding));
  // Same image, different batch companions: equal up to the kernels' batch-size-dependent rounding.
  for (const v of vectors)
    expect(dot(Float32Array.from(v), 0, Float32Array.from(vectors[0]), 0, v.length)).toBeGreaterThan(0.9999);
  expect(service.batcher.batches - before).toBeLessThan(12);
});

test('enroll needs the token; search finds the enrolled identity; delete removes it', async () => {
  expect((await post('/enroll', formOf({ id: 'ann', image: jpegA }))).status).toBe(401);
  expect((await post('/enroll', formOf({ id: 'ann', image: jpegA }), 'wrong')).status).toBe(401);
  const ok = await post('/enroll', formOf({ id: 'ann', image: [jpegA, jpegA] }), 'sesame');
  expect(ok.status).toBe(200);
  expect(await ok.json()).toMatchObject({ id: 'ann', images: 2, identities: 1 });
  expect((await post('/enroll', formOf({ id: 'bob', image: jpegB }), 'sesame')).status).toBe(200);
  expect((await post('/enroll', formOf({ id: 'bob', image: jpegB }), 'sesame')).status).toBe(409);
  expect((await post('/enroll', formOf({ id: '../etc/passwd', image: jpegB }), 'sesame')).status).toBe(400);
  const s = await post('/search', formOf({ image: jpegA, k: '2' }));
  const found = (await s.json()) as { hits: { id: string; score: number }[]; unknown: boolean };
  expect(found.hits.map((h) => h.id)).toEqual(['ann', 'bob']);
  expect(found.hits[0].score).toBeCloseTo(1, 4);
  const unknown = (await (
    await post('/search', formOf({ image: fs.readFileSync(face(3, 1)), threshold: '1' }))
  ).json()) as {
    unknown: boolean;
  };
  expect(unknown.unknown).toBe(true);
  const del = (t?: string) =>
    fetch(`${base}/identities/bob`, { method: 'DELETE', headers: t ? { authorization: `Bearer ${t}` } : {} });
  expect((await del()).status).toBe(401);
  expect((await del('sesame')).status).toBe(200);
  expect((await del('sesame')).status).toBe(404);
  expect(gallery.size).toBe(1);
});

test('bad input: not an image, missing field, huge upload, huge declared size, bad base64', async () => {
  const notImage = await post('/embed', formOf({ image: Buffer.from('hello, not an image at all') }));
  expect(notImage.status).toBe(415);
  expect(((await notImage.json()) as { error: string }).error).toMatch(/not an image/);
  const missing = await post('/verify', formOf({ a: jpegA }));
  expect(missing.status).toBe(400);
  expect(((await missing.json()) as { error: string }).error).toMatch(/'b'/);
  const huge = await post('/embed', formOf({ image: Buffer.concat([jpegA, Buffer.alloc(300 * 1024)]) }));
  expect(((await huge.json()) as { error: string }).error).toMatch(/too large/);
  expect(huge.status).toBe(413);
  const declared = await post('/embed', formOf({ image: pngHeader(60000, 60000) }));
  expect(declared.status).toBe(413);
  expect(((await declared.json()) as { error: string }).error).toMatch(/60000×60000/);
  expect((await post('/embed', { image: '!!not base64!!' })).status).toBe(400);
  expect((await post('/embed', { picture: jpegA.toString('base64') })).status).toBe(400);
  const wrongType = await fetch(`${base}/embed`, {
    method: 'POST',
    body: 'x',
    headers: { 'content-type': 'text/plain' },
  });
  expect(wrongType.status).toBe(400);
  expect(((await wrongType.json()) as { error: string }).error).toMatch(/multipart\/form-data or a JSON object/);
});

test('a full queue answers 503 with Retry-After, never a timeout', async () => {
  const small = await createService({ model, maxQueue: 2, maxBatch: 1, windowMs: 20 });
  const url = await small.app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const rs = await Promise.all(
      Array.from({ length: 12 }, () => fetch(`${url}/embed`, { method: 'POST', body: formOf({ image: jpegA }) })),
    );
    const codes = rs.map((r) => r.status);
    expect(codes.filter((c) => c === 503).length).toBeGreaterThan(0);
    expect(codes.filter((c) => c === 200).length).toBeGreaterThan(0);
    expect(codes.every((c) => c === 200 || c === 503)).toBe(true);
    expect(rs.find((r) => r.status === 503)!.headers.get('retry-after')).toBe('1');
  } finally {
    await small.close();
  }
});

test('health, openapi, metrics', async () => {
  const h = (await (await fetch(`${base}/health`)).json()) as { status: string; inputSize: number };
  expect(h).toMatchObject({ status: 'ok', inputSize: model.inputSize });
  const api = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
  expect(Object.keys(api.paths)).toEqual(
    expect.arrayContaining(['/embed', '/verify', '/search', '/enroll', '/identities/{id}', '/health', '/metrics']),
  );
  const m = await (await fetch(`${base}/metrics`)).text();
  expect(m).toMatch(/vgg2_http_requests_total\{route="\/embed",method="POST",status="200"\} \d+/);
  expect(m).toMatch(/vgg2_http_request_duration_seconds_bucket\{le="0\.1",route="\/embed"\}/);
  expect(m).toMatch(/vgg2_queue_depth 0/);
  // Earlier tests ran forward passes and searches: both clocks moved, and agree with the batcher's.
  expect(metricValue(m, 'vgg2_forward_seconds_total')).toBeGreaterThan(0);
  expect(metricValue(m, 'vgg2_search_seconds_total')).toBeGreaterThan(0);
  expect(metricValue(m, 'vgg2_forward_seconds_total')).toBeLessThanOrEqual(service.batcher.forwardSeconds);
  expect(metricValue(m, 'vgg2_images_embedded_total')).toBeGreaterThanOrEqual(
    metricValue(m, 'vgg2_forward_batches_total'),
  );
  // Totals are counters (rate() applies), the queue a gauge.
  for (const c of ['forward_batches', 'images_embedded', 'forward_seconds', 'search_seconds'])
    expect(m).toContain(`# TYPE vgg2_${c}_total counter`);
  expect(m).toContain('# TYPE vgg2_queue_depth gauge');
  expect(metricValue(m, 'vgg2_no_such_metric')).toBeNaN();
});

test('--crop detect: the largest face aligned as `embed --crop detect` does; no face is a 422', async () => {
  const photo = path.join(dataDir, 'wild_identities', 'knn_examples', 'test', 'obama1.jpg');
  const detecting = await createService({ model, crop: 'detect' });
  const url = await detecting.app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const ref = await embedDataset(model, new ImageListDataset([photo], 'ref'), { crop: 'detect' });
    const r = await fetch(`${url}/embed`, { method: 'POST', body: formOf({ image: fs.readFileSync(photo) }) });
    expect(r.status).toBe(200);
    const e = ((await r.json()) as { embedding: number[] }).embedding;
    for (let i = 0; i < ref.dim; i++) expect(e[i]).toBeCloseTo(ref.data[i], 5);
    const wall = await (
      await import('sharp')
    )
      .default({ create: { width: 200, height: 200, channels: 3, background: { r: 99, g: 99, b: 99 } } })
      .png()
      .toBuffer();
    const none = await fetch(`${url}/embed`, { method: 'POST', body: formOf({ image: wall }) });
    expect(none.status).toBe(422);
    expect(((await none.json()) as { error: string }).error).toMatch(/no face found/);
  } finally {
    await detecting.close();
  }
});
