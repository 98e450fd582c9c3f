import * as fs from 'fs';
import * as path from 'path';
import { ImageFolderDataset } from '../../lib/data/image-folder';
import { Issues } from '../../lib/data/issues';
import { Loader, type LoaderOptions } from '../../lib/data/loader';
import { MemoryCache } from '../../lib/data/memory-cache';
import { nativeDecoder } from '../../lib/data/decode-plans';
import { openDataset, closedSetSplit } from '../../lib/data/dataset';
import type { Dataset } from '../../lib/data/types';
import { haveReference } from '../helpers/paths';
import { describeShared, SHARED, tmpDir, writeImage } from './helpers';

const describeNative = haveReference('the native JPEG decoder (libturbojpeg0-dev)', !!nativeDecoder())
  ? describe
  : describe.skip;
const face = { crop: 'none' as const, size: 48 };

/** Every batch of `epochs` epochs (pixels and sample indices) in one buffer. */
async function run(ds: Dataset, opts: Partial<LoaderOptions>): Promise<Buffer> {
  const loader = new Loader(ds, { ...face, batchSize: 4, train: true, seed: 3, epochs: 3, ...opts });
  const out: Buffer[] = [];
  for await (const b of loader) {
    out.push(
      Buffer.from(b.data.subarray(0, b.n * b.size * b.size * 3)),
      Buffer.from(Int32Array.from(b.indices).buffer),
    );
    loader.release(b);
  }
  return Buffer.concat(out);
}

// Buffer.equals: jest's toEqual walks big buffers byte by byte (minutes for a few MB).
const same = (a: Buffer, b: Buffer) => expect(a.length > 0 && a.equals(b)).toBe(true);
// A batch prefetched across an epoch's end may miss on a sample still being decoded for the last one.
const PREFETCH_SLACK = 2 * 16; // prefetch 2 × batch 16

describe('MemoryCache', () => {
  const ds = { size: 3 } as unknown as Dataset;
  const other = { size: 3 } as unknown as Dataset;
  const img = (bytes: number) => ({ data: Buffer.alloc(bytes, 7), width: 1, height: bytes / 3 });

  it('keeps images by dataset and index up to its budget, then says it is full', () => {
    const m = new MemoryCache(1, face);
    expect(m.put(ds, 0, img(600_000))).toBe(true);
    expect(m.put(other, 0, img(300_000))).toBe(true);
    expect(m.full).toBe(false);
    expect(m.put(ds, 1, img(300_000))).toBe(false);
    expect(m.full).toBe(true);
    expect(m.bytes).toBe(900_000);
    expect(m.get(ds, 0)?.data.length).toBe(600_000);
    expect(m.get(other, 0)?.data.length).toBe(300_000);
    expect(m.get(ds, 1)).toBeUndefined();
    expect([m.hits, m.misses]).toEqual([2, 1]);
    m.clear();
    expect([m.bytes, m.full, m.get(ds, 0)]).toEqual([0, false, undefined]);
  });

  it('copies a view of a larger buffer instead of pinning the whole buffer', () => {
    const m = new MemoryCache(1, face);
    const big = Buffer.alloc(3000, 1);
    m.put(ds, 0, { data: big.subarray(0, 300), width: 10, height: 10 });
    expect(m.get(ds, 0)!.data.buffer.byteLength).toBe(300);
  });

  it('a budget of 0 keeps nothing; a negative budget or other face settings are errors', () => {
    const m = new MemoryCache(0, face);
    expect(m.put(ds, 0, img(3))).toBe(false);
    expect(() => new MemoryCache(-1, face)).toThrow(/≥ 0 MB/);
    expect(() => m.check({ crop: 'none', size: 64 })).toThrow(
      /made for crop none, size 48.*used with crop none, size 64/,
    );
    expect(() => m.check({ crop: 'none', size: 48, boxExtend: 0.3 })).not.toThrow();
  });
});

describeNative('loader with a memory cache', () => {
  let ds: ImageFolderDataset;
  beforeAll(async () => {
    const root = tmpDir('memcache');
    // JPEGs (native decode) and PNGs (sharp decode), sizes that need down- and upscaling; one bad file.
    for (let c = 0; c < 3; c++)
      for (let k = 0; k < 4; k++)
        await writeImage(
          path.join(root, `id${c}`, `${k}.${k % 2 ? 'png' : 'jpg'}`),
          40 + 37 * k,
          70 + 11 * c,
          k % 2 ? 'png' : 'jpeg',
          4 * c + k,
        );
    fs.writeFileSync(path.join(root, 'id2', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    ds = new ImageFolderDataset({ root });
  });

  it('gives the same bytes as decoding every epoch — whole, partly cached, and with later epochs from memory', async () => {
    const plain = await run(ds, { issues: new Issues() });
    const all = new MemoryCache(64, face);
    same(await run(ds, { memoryCache: all, issues: new Issues() }), plain);
    expect(all.hits).toBeGreaterThan(2 * 12 - 8); // epochs 2 and 3 of 12 of the 12 good images
    expect(all.bytes).toBeGreaterThan(0);
    const some = new MemoryCache(0.02, face); // ~20 KB: a few base images, the rest decoded each time
    same(await run(ds, { memoryCache: some, issues: new Issues() }), plain);
    expect(some.full).toBe(true);
    expect(some.hits).toBeGreaterThan(0);
  });

  it('evaluation batches (centre crop) are the same bytes from memory', async () => {
    const cache = new MemoryCache(64, face);
    const plain = await run(ds, { train: false, epochs: 1, issues: new Issues() });
    await run(ds, { train: false, epochs: 1, memoryCache: cache, issues: new Issues() });
    same(await run(ds, { train: false, epochs: 1, memoryCache: cache, issues: new Issues() }), plain);
    expect(cache.hits).toBe(12);
  });

  it('an unusable file is skipped and counted each time it comes up, as without the cache', async () => {
    const a = new Issues();
    const b = new Issues();
    const once = new Issues();
    await run(ds, { issues: a });
    await run(ds, { memoryCache: new MemoryCache(64, face), issues: b });
    await run(ds, { train: false, epochs: 1, issues: once });
    expect(once.count()).toBe(1);
    // Train epochs drop the last partial batch (12 of the 13 files): the broken file counts once for
    // every epoch whose first 12 samples hold it.
    const broken = Array.from({ length: ds.size }, (_, i) => i).find((i) => ds.relPath(i).endsWith('broken.jpg'))!;
    const sampler = new Loader(ds, { ...face, batchSize: 4, train: true, seed: 3 }).sampler;
    let expected = 0;
    for (let e = 0; e < 3; e++)
      for (let k = 0; k < sampler.batchesPerEpoch; k++)
        expected += sampler.batch(e, k).filter((i) => i === broken).length;
    expect(expected).toBeGreaterThan(1); // the seed puts it in more than one epoch: a real check of the counting
    expect(a.count()).toBe(expected);
    expect(b.count()).toBe(expected);
  });

  it('a loader with other face settings refuses the cache', () => {
    expect(
      () =>
        new Loader(ds, { crop: 'none', size: 64, batchSize: 4, train: true, memoryCache: new MemoryCache(64, face) }),
    ).toThrow(/memory cache: made for/);
  });
});

describeShared('memory cache on real faces (ORL, PNG)', () => {
  it('two epochs of a real split are the same bytes from memory as decoded each epoch', async () => {
    const { train } = closedSetSplit(openDataset({ data: path.join(SHARED, 'orl'), split: 'train' }), 2, 0);
    const f = { crop: 'none' as const, size: 112 };
    const opts = { ...f, epochs: 2, batchSize: 16 };
    const cache = new MemoryCache(64, f);
    const [plain, cached] = [await run(train, opts), await run(train, { ...opts, memoryCache: cache })];
    same(cached, plain);
    expect(cache.hits).toBeGreaterThanOrEqual(train.size - PREFETCH_SLACK);
  });

  it('with one batch in flight, epoch 2 hits exactly the samples epoch 1 decoded', async () => {
    // Prefetching 2 batches lets epoch 2's first batch start before epoch 1's last one is stored
    // (hence the slack above); with 1, every hit is determined by the sampler.
    const { train } = closedSetSplit(openDataset({ data: path.join(SHARED, 'orl'), split: 'train' }), 2, 0);
    const f = { crop: 'none' as const, size: 112 };
    const opts = { ...f, epochs: 2, batchSize: 16, prefetch: 1 };
    const sampler = new Loader(train, { ...opts, train: true, seed: 3 }).sampler;
    const kept = (e: number) =>
      new Set(Array.from({ length: sampler.batchesPerEpoch }, (_, k) => [...sampler.batch(e, k)]).flat());
    const first = kept(0);
    const expected = [...kept(1)].filter((i) => first.has(i)).length;
    const cache = new MemoryCache(64, f);
    same(await run(train, { ...opts, memoryCache: cache }), await run(train, opts));
    expect(expected).toBeGreaterThan(train.size / 2);
    expect(cache.hits).toBe(expected);
  });
});
