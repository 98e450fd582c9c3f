import * as fs from 'fs';
import * as path from 'path';
import { augmentParams } from '../../lib/data/augment';
import { ImageFolderDataset } from '../../lib/data/image-folder';
import { Issues } from '../../lib/data/issues';
import { Loader } from '../../lib/data/loader';
import { BalancedSampler, ShuffleSampler } from '../../lib/data/sampler';
import { tmpDir, writeImage } from './helpers';

describe('samplers', () => {
  test('shuffle: a permutation per epoch, deterministic for a seed, random access for resuming', () => {
    const s = new ShuffleSampler(103, 10, { seed: 5 });
    expect(s.batchesPerEpoch).toBe(10);
    const epoch0 = Array.from({ length: 10 }, (_, b) => Array.from(s.batch(0, b))).flat();
    expect(new Set(epoch0).size).toBe(100);
    const again = new ShuffleSampler(103, 10, { seed: 5 });
    expect(Array.from(again.batch(0, 7))).toEqual(epoch0.slice(70, 80));
    expect(Array.from(again.batch(1, 0))).not.toEqual(epoch0.slice(0, 10));
    expect(Array.from(new ShuffleSampler(103, 10, { seed: 6 }).batch(0, 0))).not.toEqual(epoch0.slice(0, 10));
    const evalS = new ShuffleSampler(103, 10, { shuffle: false });
    expect(evalS.batchesPerEpoch).toBe(11);
    expect(Array.from(evalS.batch(0, 10))).toEqual([100, 101, 102]);
  });

  test('balanced: P identities × K images per batch, without replacement when possible', () => {
    // 12 classes; class c has c + 1 images.
    const labels = Int32Array.from(Array.from({ length: 12 }, (_, c) => Array(c + 1).fill(c)).flat());
    const s = new BalancedSampler(labels, { classesPerBatch: 4, imagesPerClass: 3, seed: 1 });
    expect(s.batchesPerEpoch).toBe(3);
    const seen = new Set<number>();
    for (let b = 0; b < 3; b++) {
      const idx = Array.from(s.batch(2, b));
      expect(idx).toHaveLength(12);
      for (let j = 0; j < 4; j++) {
        const group = idx.slice(3 * j, 3 * j + 3);
        const c = labels[group[0]];
        expect(group.every((i) => labels[i] === c)).toBe(true);
        if (c >= 2) expect(new Set(group).size).toBe(3);
        seen.add(c);
      }
    }
    expect(seen.size).toBe(12); // every identity once per epoch
    expect(Array.from(s.batch(2, 1))).toEqual(
      Array.from(new BalancedSampler(labels, { classesPerBatch: 4, imagesPerClass: 3, seed: 1 }).batch(2, 1)),
    );
  });

  test('augmentation parameters are a function of (seed, epoch, index)', () => {
    const a = augmentParams({}, 3, 4, 5);
    expect(augmentParams({}, 3, 4, 5)).toEqual(a);
    expect(augmentParams({}, 3, 5, 5)).not.toEqual(a);
    // Turning on jitter leaves flip/crop/gray draws unchanged.
    const j = augmentParams({ brightness: 0.4, rotate: 10 }, 3, 4, 5);
    expect([j.crop, j.flip, j.gray]).toEqual([a.crop, a.flip, a.gray]);
    let flips = 0,
      grays = 0;
    for (let i = 0; i < 4000; i++) {
      const p = augmentParams({}, 1, 0, i);
      flips += +p.flip;
      grays += +p.gray;
    }
    expect(flips / 4000).toBeCloseTo(0.5, 1);
    expect(grays / 4000).toBeCloseTo(0.2, 1);
  });
});

describe('loader', () => {
  let ds: ImageFolderDataset;
  beforeAll(async () => {
    const root = tmpDir('loader');
    for (let c = 0; c < 4; c++)
      for (let k = 0; k < 5; k++)
        await writeImage(path.join(root, `id${c}`, `${k}.jpg`), 50 + 3 * k, 40 + c, 'jpeg', c * 5 + k);
    ds = new ImageFolderDataset({ root });
  });

  async function collect(loader: Loader): Promise<{ data: Buffer; labels: number[]; indices: number[] }[]> {
    const out = [];
    for await (const b of loader) {
      out.push({
        data: Buffer.from(b.data.subarray(0, b.n * b.size * b.size * 3)),
        labels: Array.from(b.labels),
        indices: b.indices,
      });
      loader.release(b);
    }
    return out;
  }

  test('batches are uint8 NHWC with matching labels; same seed → same pixels (flip, crop, gray)', async () => {
    const opts = {
      crop: 'none' as const,
      size: 24,
      batchSize: 6,
      train: true,
      seed: 9,
      epochs: 2,
      augment: { brightness: 0.2, rotate: 8 },
    };
    const a = await collect(new Loader(ds, opts));
    const b = await collect(new Loader(ds, { ...opts, concurrency: 1, prefetch: 1 }));
    expect(a).toHaveLength(6);
    for (const x of a) {
      expect(x.data.length).toBe(6 * 24 * 24 * 3);
      x.indices.forEach((i, k) => expect(x.labels[k]).toBe(ds.labels[i]));
    }
    expect(a.map((x) => x.data.equals(b[a.indexOf(x)].data))).toEqual(a.map(() => true));
    const c = await collect(new Loader(ds, { ...opts, seed: 10 }));
    expect(c[0].data.equals(a[0].data)).toBe(false);
  });

  test('resume from a saved position gives the same remaining stream', async () => {
    const opts = { crop: 'none' as const, size: 16, batchSize: 4, train: true, seed: 2, epochs: 3 };
    const full = await collect(new Loader(ds, opts));
    const first = new Loader(ds, opts);
    let taken = 0;
    let pos = first.position;
    for await (const b of first) {
      first.release(b);
      pos = first.position;
      if (++taken === 7) break;
    }
    expect(pos).toEqual({ epoch: 1, batch: 2 });
    const rest = await collect(new Loader(ds, { ...opts, start: pos }));
    expect(rest.map((x) => x.indices)).toEqual(full.slice(7).map((x) => x.indices));
    expect(rest[0].data.equals(full[7].data)).toBe(true);
  });

  test('buffers are never reused while held; forgetting release is an error, not a hang', async () => {
    const loader = new Loader(ds, { crop: 'none', size: 16, batchSize: 2, train: false, prefetch: 2, held: 2 });
    const it = loader[Symbol.asyncIterator]();
    const b1 = (await it.next()).value;
    const copy1 = Buffer.from(b1.data);
    const b2 = (await it.next()).value;
    expect(b2.data).not.toBe(b1.data);
    // Both held: the two prefetch buffers carry on, the held ones stay untouched.
    const b3 = (await it.next()).value;
    const b4 = (await it.next()).value;
    expect(new Set([b1.data, b2.data, b3.data, b4.data]).size).toBe(4);
    expect(b1.data.equals(copy1)).toBe(true);
    await expect(it.next()).rejects.toThrow(/release/);
  });

  test('close() resolves once the batches decoding ahead have finished: the files may go after it', async () => {
    const root = tmpDir('loader-close');
    for (let k = 0; k < 24; k++) await writeImage(path.join(root, 'a', `${k}.jpg`), 120, 120, 'jpeg', k);
    const issues = new Issues();
    const loader = new Loader(new ImageFolderDataset({ root }), {
      ...{ crop: 'none', size: 96, batchSize: 4, train: false, prefetch: 4, concurrency: 1, issues },
    });
    for await (const b of loader) {
      loader.release(b);
      break; // prefetch batches are in flight now
    }
    await loader.close();
    fs.rmSync(root, { recursive: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(issues.count()).toBe(0); // nothing read a deleted file
  });

  test('eval: centre crop, dataset order, last partial batch kept', async () => {
    const batches = await collect(new Loader(ds, { crop: 'none', size: 16, batchSize: 6, train: false }));
    expect(batches.map((b) => b.indices.length)).toEqual([6, 6, 6, 2]);
    expect(batches.flatMap((b) => b.indices)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
