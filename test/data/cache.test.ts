import * as fs from 'fs';
import * as path from 'path';
import { CacheDataset, prepareCache } from '../../lib/data/cache';
import { closedSetSplit, openDataset } from '../../lib/data/dataset';
import { ImageFolderDataset } from '../../lib/data/image-folder';
import { Issues } from '../../lib/data/issues';
import { Loader } from '../../lib/data/loader';
import type { Dataset } from '../../lib/data/types';
import { tmpDir, writeImage } from './helpers';

async function pixels(ds: Dataset, train: boolean): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const loader = new Loader(ds, { crop: 'loose', size: 32, batchSize: 5, train, seed: 4, epochs: 1 });
  for await (const b of loader) {
    out.push(Buffer.from(b.data.subarray(0, b.n * 32 * 32 * 3)));
    loader.release(b);
  }
  return out;
}

describe('LMDB cache (prepare)', () => {
  let root: string;
  let ds: ImageFolderDataset;
  const quiet = () => new Issues({ warn: () => undefined });
  beforeAll(async () => {
    root = tmpDir('cache-src');
    for (let c = 0; c < 3; c++)
      for (let k = 0; k < 6; k++)
        await writeImage(path.join(root, `id${c}`, `${k}.jpg`), 60 + 5 * k, 50 + 3 * c, 'jpeg', 6 * c + k);
    ds = new ImageFolderDataset({ root });
  });

  test('raw: reading the cache gives exactly the live pipeline’s pixels (train and eval)', async () => {
    const out = path.join(tmpDir('cache'), 'c.lmdb');
    const r = await prepareCache({ dataset: ds, dataPath: root, out, crop: 'loose', size: 32, encoding: 'raw' });
    expect(r).toMatchObject({ total: 18, written: 18, bad: 0, complete: true });
    const cache = openDataset({ data: out });
    expect(cache).toBeInstanceOf(CacheDataset);
    expect(cache.classes).toEqual(ds.classes);
    expect(Array.from(cache.labels)).toEqual(Array.from(ds.labels));
    expect(cache.relPath(7)).toBe(ds.relPath(7));
    for (const train of [false, true]) {
      const live = await pixels(ds, train);
      const cached = await pixels(cache, train);
      expect(cached.map((b, i) => b.equals(live[i]))).toEqual(live.map(() => true));
    }
    // Splits of a cache read from the cache too.
    const { test } = closedSetSplit(cache, 2, 0);
    expect((await pixels(test, false)).length).toBe(2);
    await (cache as CacheDataset).close();
  });

  test('jpeg: same images within JPEG error', async () => {
    const out = path.join(tmpDir('cache'), 'c.lmdb');
    await prepareCache({ dataset: ds, dataPath: root, out, crop: 'loose', size: 32, encoding: 'jpeg', quality: 95 });
    const cache = new CacheDataset(out);
    const live = Buffer.concat(await pixels(ds, false));
    const cached = Buffer.concat(await pixels(cache, false));
    let sum = 0;
    for (let i = 0; i < live.length; i++) sum += Math.abs(live[i] - cached[i]);
    const mae = sum / live.length;
    expect(mae).toBeGreaterThan(0);
    expect(mae).toBeLessThan(3);
    await cache.close();
  });

  test('an interrupted prepare resumes where it stopped; an incomplete cache is refused for reading', async () => {
    const out = path.join(tmpDir('cache'), 'c.lmdb');
    const stop = new AbortController();
    const first = await prepareCache({
      dataset: ds,
      dataPath: root,
      out,
      crop: 'loose',
      size: 32,
      encoding: 'raw',
      concurrency: 2,
      progress: (d) => d >= 7 && stop.abort(),
      signal: stop.signal,
    });
    expect(first.complete).toBe(false);
    expect(first.written).toBeGreaterThanOrEqual(7);
    expect(first.written).toBeLessThan(18);
    expect(() => new CacheDataset(out)).toThrow(/incomplete.*resume/);
    const second = await prepareCache({ dataset: ds, dataPath: root, out, crop: 'loose', size: 32, encoding: 'raw' });
    expect(second).toMatchObject({ complete: true, resumed: first.written, written: 18 - first.written });
    const cache = new CacheDataset(out);
    expect(cache.size).toBe(18);
    expect(Buffer.concat(await pixels(cache, false)).equals(Buffer.concat(await pixels(ds, false)))).toBe(true);
    await cache.close();
  });

  test('a cache made with other settings or from another dataset is refused', async () => {
    const out = path.join(tmpDir('cache'), 'c.lmdb');
    await prepareCache({ dataset: ds, dataPath: root, out, crop: 'loose', size: 32, encoding: 'raw' });
    await expect(
      prepareCache({ dataset: ds, dataPath: root, out, crop: 'loose', size: 48, encoding: 'raw' }),
    ).rejects.toThrow(/made with crop=loose size=32.*refusing/);
    await expect(
      prepareCache({ dataset: ds, dataPath: root, out, crop: 'loose', size: 32, encoding: 'jpeg' }),
    ).rejects.toThrow(/refusing/);
    const other = tmpDir('cache-other');
    await writeImage(path.join(other, 'x/1.png'), 40, 40);
    await expect(
      prepareCache({
        dataset: new ImageFolderDataset({ root: other }),
        dataPath: other,
        out,
        crop: 'loose',
        size: 32,
        encoding: 'raw',
      }),
    ).rejects.toThrow(/another dataset/);
    const cache = new CacheDataset(out);
    expect(() => new Loader(cache, { crop: 'align', size: 32, batchSize: 2, train: false })).toThrow(
      /holds crop=loose size=32/,
    );
    await cache.close();
  });

  test('unusable images are recorded as bad and left out of the cache', async () => {
    const src = tmpDir('cache-bad');
    await writeImage(path.join(src, 'a/1.png'), 40, 40);
    await writeImage(path.join(src, 'a/2.png'), 40, 40);
    fs.writeFileSync(
      path.join(src, 'a/3.png'),
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(100)]),
    );
    const issues = quiet();
    const d = new ImageFolderDataset({ root: src, issues });
    const out = path.join(tmpDir('cache'), 'c.lmdb');
    const r = await prepareCache({ dataset: d, dataPath: src, out, crop: 'none', size: 32, encoding: 'raw', issues });
    expect(r).toMatchObject({ written: 2, bad: 1 });
    expect(issues.count('corrupt-image')).toBe(1);
    const cache = new CacheDataset(out);
    expect(cache.size).toBe(2);
    await cache.close();
  });
});
