/**
 * The service's batcher with a real (tiny) model and a real gallery: the searches of one batch go
 * to the gallery together, inside the batch's turn, and give what a search of each image alone
 * gives; a failed search fails its own requests only; the next batch decodes only after the forward pass.
 */
import * as path from 'path';
import sharp from 'sharp';
import { loadForEval } from '../../lib/eval/load-model';
import { describeGalleryWeights, Gallery } from '../../lib/gallery';
import type { Model } from '../../lib/model';
import { Batcher } from '../../lib/serve/batcher';
import type { SearchResult, ServedGallery } from '../../lib/serve/gallery-port';
import { tinyWeights } from '../eval/helpers';
import { dataDir, removeTmpDirs, tmpDir } from '../helpers/paths';

jest.setTimeout(120_000);

const SIZE = 32;
let model: Model;
let gallery: Gallery;
let faces: Buffer[];

beforeAll(async () => {
  const dir = tmpDir('batcher');
  const weights = await tinyWeights(path.join(dir, 'w.safetensors'));
  ({ model } = await loadForEval(weights));
  gallery = await Gallery.open(path.join(dir, 'gallery'), {
    create: true,
    weights: await describeGalleryWeights(weights, model),
  });
  faces = await Promise.all(
    [1, 2, 3, 4].map((s) =>
      sharp(path.join(dataDir, 'orl', `s${s}`, '1.png'))
        .resize(SIZE, SIZE, { fit: 'fill' })
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer(),
    ),
  );
  // Three of the four people enrolled from their own embeddings.
  const b = new Batcher(model, SIZE);
  const vectors = await b.embedAll(faces.slice(0, 3).map((px) => async () => px));
  await gallery.enrollMany(vectors.map((v, i) => ({ id: `s${i + 1}`, embeddings: [v] })));
  await b.close();
});

afterAll(async () => {
  await gallery?.close();
  model?.dispose();
  removeTmpDirs();
});

/** The real gallery, with the size of each search call it receives recorded; optionally failing some. */
function recording(fail?: (threshold?: number) => boolean): { port: ServedGallery; calls: number[] } {
  const calls: number[] = [];
  const port: ServedGallery = {
    get size() {
      return gallery.size;
    },
    async search(queries, o) {
      calls.push(queries.length);
      if (fail?.(o.threshold)) throw new Error('the gallery failed this search');
      return (await gallery.search(queries, o)) as SearchResult[];
    },
    enroll: (id, e, o) => gallery.enroll(id, e, o),
    remove: (id) => gallery.remove(id),
  };
  return { port, calls };
}

test('concurrent searches are one gallery search per batch, with the answers each image gets alone', async () => {
  const { port, calls } = recording();
  const b = new Batcher(model, SIZE, { gallery: port, windowMs: 50, maxBatch: 16 });
  const searches = Array.from({ length: 8 }, (_, i) => b.search(async () => faces[i % 4], { k: 2, threshold: 0.5 }));
  const embeds = faces.map((px) => b.embed(async () => px));
  const [found, vectors] = await Promise.all([Promise.all(searches), Promise.all(embeds)]);
  expect(b.batches).toBe(1);
  expect(calls).toEqual([8]); // the 4 embeds are not searched
  for (let i = 0; i < 8; i++) {
    const alone = (await gallery.search(vectors[i % 4], { k: 2, threshold: 0.5 })) as SearchResult;
    expect(found[i].hits.map((h) => h.id)).toEqual(alone.hits.map((h) => h.id));
    found[i].hits.forEach((h, j) => expect(h.score).toBeCloseTo(alone.hits[j].score, 5));
    expect(found[i].unknown).toBe(alone.unknown);
  }
  expect(found[0].hits[0].id).toBe('s1'); // an enrolled face finds itself
  await b.close();
});

test('searches with other k or threshold go in their own call; a failed one fails only its requests', async () => {
  const { port, calls } = recording((t) => t === 0.99);
  const b = new Batcher(model, SIZE, { gallery: port, windowMs: 50, maxBatch: 16 });
  const results = await Promise.allSettled([
    b.search(async () => faces[0], { k: 1 }),
    b.search(async () => faces[1], { k: 3 }),
    b.search(async () => faces[2], { k: 1, threshold: 0.99 }),
    b.search(async () => faces[3], { k: 1 }),
    b.embed(async () => faces[3]),
  ]);
  expect(calls.sort()).toEqual([1, 1, 2]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  expect(((results[2] as PromiseRejectedResult).reason as Error).message).toMatch(/failed this search/);
  expect((results[1] as PromiseFulfilledResult<SearchResult>).value.hits).toHaveLength(3);
  await b.close();
});

test('a batcher without a gallery refuses to search', async () => {
  const b = new Batcher(model, SIZE);
  await expect(b.search(async () => faces[0], { k: 1 })).rejects.toThrow(/no gallery/);
  await b.close();
});

test('the next batch decodes after this batch’s forward pass, beside its search; its forward waits for that search', async () => {
  const events: string[] = [];
  const port: ServedGallery = {
    get size() {
      return gallery.size;
    },
    async search(queries, o) {
      events.push('search start');
      await new Promise((r) => setTimeout(r, 100)); // a slow search: time for a forward pass to slip in
      events.push('search end');
      return (await gallery.search(queries, o)) as SearchResult[];
    },
    enroll: (id, e, o) => gallery.enroll(id, e, o),
    remove: (id) => gallery.remove(id),
  };
  // The real model, its forward passes recorded.
  const recorded = new Proxy(model, {
    get(target, prop) {
      if (prop === 'forward')
        return async (...args: Parameters<Model['forward']>) => {
          events.push('forward start');
          const out = await target.forward(...args);
          events.push('forward end');
          return out;
        };
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const b = new Batcher(recorded, SIZE, { gallery: port, windowMs: 0, maxBatch: 2 });
  const source = (i: number) => async () => {
    events.push(`decode ${i}`);
    return faces[i];
  };
  const found = await Promise.all([0, 1, 2, 3].map((i) => b.search(source(i), { k: 1 })));
  expect(b.batches).toBe(2);
  // No decoding during a forward pass (it would preempt LibTorch's threads); batch 2 decodes while
  // batch 1 searches, and its forward pass starts only when that search has ended.
  expect(events).toEqual([
    'decode 0',
    'decode 1',
    'forward start',
    'forward end',
    'decode 2',
    'decode 3',
    'search start',
    'search end',
    'forward start',
    'forward end',
    'search start',
    'search end',
  ]);
  expect(found.map((f) => f.hits[0].id)).toEqual(['s1', 's2', 's3', expect.any(String)]);
  await b.close();
});
