import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { augmentParams, IDENTITY_AUGMENT } from '../../lib/data/augment';
import { prepareCache, CacheDataset } from '../../lib/data/cache';
import { ImageFolderDataset } from '../../lib/data/image-folder';
import { Issues } from '../../lib/data/issues';
import { Loader, type LoaderOptions } from '../../lib/data/loader';
import { nativeDecoder, planJpeg } from '../../lib/data/decode-plans';
import type { Dataset } from '../../lib/data/types';
import type { DecodeSpec } from '../../lib/native';
import { haveReference, python, pythonHas } from '../helpers/paths';
import { describeShared, SHARED, tmpDir, writeImage } from './helpers';

// The addon is always built with TurboJPEG where libturbojpeg0-dev is installed (CI installs it).
const binding = haveReference('the native JPEG decoder (libturbojpeg0-dev)', !!nativeDecoder())
  ? nativeDecoder()
  : undefined;
if (!binding) process.stderr.write('note: the addon has no TurboJPEG; native decoding tests are skipped\n');
const describeNative = binding ? describe : describe.skip;

async function batches(
  ds: Dataset,
  opts: Omit<LoaderOptions, 'batchSize'> & { batchSize?: number },
): Promise<{ data: Buffer; indices: number[] }[]> {
  const loader = new Loader(ds, { batchSize: 4, ...opts });
  const out = [];
  for await (const b of loader) {
    out.push({ data: Buffer.from(b.data.subarray(0, b.n * b.size * b.size * 3)), indices: b.indices });
    loader.release(b);
  }
  return out;
}

const meanAbs = (a: Uint8Array, b: Uint8Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};

/** Blocks of random colours: any shift or mirror of the window changes many pixels. */
async function writeBlocks(
  file: string,
  width: number,
  height: number,
  seed: number,
  format: 'jpeg' | 'png' = 'jpeg',
): Promise<void> {
  const raw = Buffer.alloc(width * height * 3);
  let s = seed * 7919 + 1;
  const colour: number[] = [];
  for (let k = 0; k < 3 * 256; k++) colour.push((s = (s * 1103515245 + 12345) >>> 0) >>> 24);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const cell = ((y >> 3) * 16 + (x >> 3)) % 256;
      for (let c = 0; c < 3; c++) raw[(y * width + x) * 3 + c] = colour[cell * 3 + c];
    }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  await (format === 'jpeg' ? img.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }) : img.png()).toFile(file);
}

describeNative('native batch decoding (TurboJPEG)', () => {
  let ds: ImageFolderDataset;
  beforeAll(async () => {
    const root = tmpDir('native');
    // Sizes that need upscaling, plain resizing and DCT-domain downscaling (400×300 → 1/8 for 36 px).
    const sizes = [
      [64, 80],
      [400, 300],
      [50, 41],
      [129, 200],
    ];
    for (let c = 0; c < 3; c++)
      for (let k = 0; k < 4; k++)
        await writeImage(path.join(root, `id${c}`, `${k}.jpg`), sizes[k][0], sizes[k][1] + c, 'jpeg', 4 * c + k);
    ds = new ImageFolderDataset({ root });
  });

  test('the default decoder is native; deterministic for a seed, whatever the thread count', async () => {
    const opts = { crop: 'none' as const, size: 32, batchSize: 5, train: true, seed: 3, epochs: 2 };
    expect(new Loader(ds, opts).decoder).toBe('native');
    const a = await batches(ds, opts);
    const b = await batches(ds, { ...opts, decodeThreads: 1, prefetch: 1 });
    expect(a.length).toBe(4); // 2 full batches per epoch
    expect(a.map((x, i) => x.data.equals(b[i].data))).toEqual(a.map(() => true));
    const c = await batches(ds, { ...opts, seed: 4 });
    expect(c[0].data.equals(a[0].data)).toBe(false);
  });

  test('no resize needed: exactly the sharp path’s bytes (crop window, flip, gray, brightness/contrast)', async () => {
    // size 56 → shorter side 64: 64×h images keep their size, so only the window and the tone matter.
    const root = tmpDir('native-exact');
    for (let k = 0; k < 8; k++) await writeBlocks(path.join(root, `id${k % 2}`, `${k}.jpg`), 64, 64 + 9 * k, k);
    const blocks = new ImageFolderDataset({ root });
    for (const augment of [{}, { brightness: 0.3, contrast: 0.3 }]) {
      const opts = { crop: 'none' as const, size: 56, train: true, seed: 11, epochs: 3, augment };
      const native = await batches(blocks, { ...opts, decoder: 'native' });
      const viaSharp = await batches(blocks, { ...opts, decoder: 'sharp' });
      expect(native.map((x) => x.indices)).toEqual(viaSharp.map((x) => x.indices));
      for (let i = 0; i < native.length; i++) expect(meanAbs(native[i].data, viaSharp[i].data)).toBe(0);
    }
  });

  test('loose boxes: the region, size and window of the sharp path (compared with sharp’s own bilinear resize)', async () => {
    const root = tmpDir('native-box');
    for (let k = 0; k < 4; k++) await writeBlocks(path.join(root, `id${k % 2}`, `${k}.jpg`), 150 + 40 * k, 170, k + 20);
    const boxes = path.join(root, 'boxes.csv');
    // The last box sticks out of its image: clamped, noted once the image is decoded. All four are
    // downscaled (sharp's upscaling follows another pixel-centre convention than PIL's and ours).
    fs.writeFileSync(
      boxes,
      'NAME_ID,X,Y,W,H\n' +
        [0, 1, 2, 3]
          .map((k) => `id${k % 2}/${k},${20 + 5 * k + (k === 3 ? 180 : 0)},${30 + 3 * k},${80 + 4 * k},${90 - 2 * k}`)
          .join('\n') +
        '\n',
    );
    const boxed = new ImageFolderDataset({ root, boxes });
    const face = { crop: 'loose' as const, size: 48 };
    const size = face.size;
    for (let i = 0; i < boxed.size; i++) {
      const src = boxed.source(i);
      const buf = fs.readFileSync(src.path);
      const p = augmentParams({}, 7, 0, i);
      const notes: string[] = [];
      const spec = planJpeg(buf, src, face, { ...p, flip: i % 2 === 0 }, (kind) => notes.push(kind))!;
      expect(notes).toEqual(i === 3 ? ['box-partly-outside'] : []);
      const out = Buffer.alloc(size * size * 3);
      expect(await binding!.decodeBatch([spec], out, size)).toEqual([null]);
      const [left, top, width, height] = spec.region;
      const window = async (dx: number) => {
        let img = sharp(buf)
          .extract({ left, top, width, height })
          .resize(spec.resized[0], spec.resized[1], { fit: 'fill', kernel: 'linear' });
        img = sharp(await img.raw().toBuffer(), {
          raw: { width: spec.resized[0], height: spec.resized[1], channels: 3 },
        }).extract({ left: spec.crop[0] + dx, top: spec.crop[1], width: size, height: size });
        if (spec.flip) img = img.flop();
        if (spec.gray)
          img = img.recomb([
            [0.299, 0.587, 0.114],
            [0.299, 0.587, 0.114],
            [0.299, 0.587, 0.114],
          ]);
        return img.raw().toBuffer();
      };
      const same = meanAbs(out, await window(0));
      expect(same).toBeLessThan(4); // the same filter family, not the same code
      expect(same * 3).toBeLessThan(meanAbs(out, await window(spec.crop[0] > 0 ? -1 : 1)));
    }
  });

  (pythonHas('PIL') ? test : test.skip)(
    'the resize is PIL’s BILINEAR (torchvision’s Resize), up and down, within 1 level',
    async () => {
      const dir = tmpDir('native-pil');
      const [w, h] = [49, 110];
      const raw = Buffer.alloc(w * h * 3);
      for (let i = 0; i < raw.length; i++) raw[i] = ((i * 2654435761) >>> 13) & 255; // noise: the hardest case
      fs.writeFileSync(path.join(dir, 'in.rgb'), raw);
      for (const [rw, rh] of [
        [54, 121],
        [30, 67],
        [13, 29],
      ]) {
        const size = Math.min(rw, rh);
        const out = Buffer.alloc(size * size * 3);
        const spec: DecodeSpec = {
          data: raw,
          kind: 'raw',
          width: w,
          height: h,
          region: [0, 0, w, h],
          resized: [rw, rh],
          crop: [rw - size, rh - size],
          flip: true,
          gray: false,
        };
        expect(await binding!.decodeBatch([spec], out, size)).toEqual([null]);
        fs.writeFileSync(path.join(dir, 'ours.rgb'), out);
        const script = [
          'import numpy as np, sys',
          'from PIL import Image',
          `d = '${dir}'`,
          `src = np.fromfile(d + '/in.rgb', dtype=np.uint8).reshape(${h}, ${w}, 3)`,
          `ref = np.asarray(Image.fromarray(src).resize((${rw}, ${rh}), Image.BILINEAR)).astype(int)[${rh - size}:, ${rw - size}:][:, ::-1]`,
          `ours = np.fromfile(d + '/ours.rgb', dtype=np.uint8).reshape(${size}, ${size}, 3).astype(int)`,
          'print(int(np.abs(ref - ours).max()), float(np.abs(ref - ours).mean()))',
        ].join('\n');
        const [max, mean] = python(['-c', script]).trim().split(' ').map(Number);
        // PIL rounds to uint8 between its two passes, we keep 8 more bits: ±1 on some pixels.
        expect(max).toBeLessThanOrEqual(1);
        expect(mean).toBeLessThan(0.5);
      }
    },
  );

  test('PNG, CMYK and EXIF-rotated JPEGs go through sharp: the same bytes as the sharp decoder', async () => {
    const root = tmpDir('native-other');
    await writeBlocks(path.join(root, 'a', 'png.jpg'), 70, 80, 1, 'png');
    await writeImage(path.join(root, 'a', 'gif'), 40, 50, 'gif', 2);
    const rgb = await sharp(path.join(root, 'a', 'png.jpg'))
      .raw()
      .toBuffer();
    const raw = { raw: { width: 70, height: 80, channels: 3 as const } };
    fs.mkdirSync(path.join(root, 'b'));
    await sharp(rgb, raw)
      .toColourspace('cmyk')
      .jpeg()
      .toFile(path.join(root, 'b', 'cmyk.jpg'));
    const rotated = await sharp(rgb, raw).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    fs.writeFileSync(path.join(root, 'b', 'rotated.jpg'), rotated);
    const others = new ImageFolderDataset({ root });
    expect(others.size).toBe(4);
    for (let i = 0; i < others.size; i++) {
      const buf = fs.readFileSync(others.source(i).path);
      if (buf[0] === 0xff)
        expect(planJpeg(buf, others.source(i), { crop: 'none', size: 32 }, IDENTITY_AUGMENT)).toBeUndefined();
    }
    const opts = { crop: 'none' as const, size: 32, train: true, seed: 5, batchSize: 4 };
    const [native] = await batches(others, { ...opts, decoder: 'native' });
    const [viaSharp] = await batches(others, { ...opts, decoder: 'sharp' });
    expect(native.indices).toEqual(viaSharp.indices);
    expect(native.indices).toHaveLength(4);
    expect(native.data.equals(viaSharp.data)).toBe(true);
  });

  test('corrupt, truncated and zero-byte files: counted as by sharp, no crash, the rest decoded', async () => {
    const root = tmpDir('native-bad');
    const names = ['good0', 'good1', 'good2', 'trunc', 'badtables', 'scrambled', 'zero', 'text'];
    for (const [k, n] of names.entries())
      await writeImage(path.join(root, k < 4 ? 'a' : 'b', `${n}.jpg`), 120, 90, 'jpeg', k);
    const bad = new ImageFolderDataset({ root });
    expect(bad.size).toBe(8);
    // Spoil the files after indexing, as a disk or a copy might.
    const file = (n: string) => path.join(root, names.indexOf(n) < 4 ? 'a' : 'b', `${n}.jpg`);
    const good = fs.readFileSync(file('good0'));
    fs.writeFileSync(file('trunc'), good.subarray(0, Math.floor(good.length * 0.6)));
    const sos = good.indexOf(Buffer.from([0xff, 0xda]));
    fs.writeFileSync(file('badtables'), good.subarray(0, sos - 20)); // ends inside the Huffman tables
    // Scan data replaced by fill bytes: libjpeg warns and both decoders keep the (gray) image.
    fs.writeFileSync(
      file('scrambled'),
      Buffer.concat([good.subarray(0, sos + 14), Buffer.alloc(300, 0xff), Buffer.from([0xff, 0xd9])]),
    );
    fs.writeFileSync(file('zero'), '');
    fs.writeFileSync(file('text'), 'not a JPEG at all');
    const run = async (decoder: 'native' | 'sharp') => {
      const issues = new Issues({ warn: () => undefined });
      const got = await batches(bad, { crop: 'none', size: 32, train: false, batchSize: 8, decoder, issues });
      return { got, counts: Object.fromEntries(issues.kinds.map((k) => [k, issues.count(k)])) };
    };
    const native = await run('native');
    const viaSharp = await run('sharp');
    expect(native.counts).toEqual({ 'empty-file': 1, 'not-image': 1, 'corrupt-image': 2 }); // truncated, bad tables
    expect(viaSharp.counts).toEqual(native.counts);
    const kept = native.got.flatMap((b) => b.indices);
    expect(kept.map((i) => path.basename(bad.relPath(i))).sort()).toEqual([
      'good0.jpg',
      'good1.jpg',
      'good2.jpg',
      'scrambled.jpg',
    ]);
    expect(kept).toEqual(viaSharp.got.flatMap((b) => b.indices));
  });

  describe('decodeBatch', () => {
    let jpeg: Buffer;
    const size = 16;
    const spec = (data: Uint8Array, over: Partial<DecodeSpec> = {}): DecodeSpec => ({
      data,
      kind: 'jpeg',
      width: 200,
      height: 150,
      region: [0, 0, 200, 150],
      resized: [21, 16],
      crop: [2, 0],
      flip: false,
      gray: false,
      ...over,
    });
    beforeAll(async () => {
      const file = path.join(tmpDir('native-direct'), 'a.jpg');
      await writeImage(file, 200, 150, 'jpeg', 1);
      jpeg = fs.readFileSync(file);
    });

    test('a truncated JPEG and zero bytes: an error for their slot, the others written, nulls skipped', async () => {
      const out = Buffer.alloc(4 * size * size * 3, 77);
      const res = await binding!.decodeBatch(
        [spec(jpeg), spec(jpeg.subarray(0, jpeg.length >> 1)), null, spec(Buffer.alloc(0))],
        out,
        size,
      );
      expect(res[0]).toBeNull();
      expect(res[1]).toMatch(/Premature end/);
      expect(res[2]).toBeNull();
      expect(res[3]).toMatch(/JPEG/);
      expect(out.subarray(0, size * size * 3).every((v) => v === 77)).toBe(false);
      expect(out.subarray(2 * size * size * 3, 3 * size * size * 3).every((v) => v === 77)).toBe(true);
    });

    test('a window of the resized image is exactly that crop of the whole resized image (window, offset)', async () => {
      const whole = Buffer.alloc(7 + 21 * 16 * 3, 1);
      expect(
        await binding!.decodeBatch([spec(jpeg, { crop: [0, 0], window: [21, 16], offset: 7 })], whole, size),
      ).toEqual([null]);
      expect(whole.subarray(0, 7).every((v) => v === 1)).toBe(true);
      const win = Buffer.alloc(size * size * 3);
      await binding!.decodeBatch([spec(jpeg, { crop: [4, 0], flip: true })], win, size);
      for (let y = 0; y < size; y++)
        for (let x = 0; x < size; x++) {
          const o = 7 + (y * 21 + 4 + size - 1 - x) * 3;
          expect([...win.subarray((y * size + x) * 3, (y * size + x + 1) * 3)]).toEqual([...whole.subarray(o, o + 3)]);
        }
    });

    test('an output buffer too small is a RangeError before any work; bad specs name themselves', async () => {
      const out = Buffer.alloc(2 * size * size * 3 - 1, 5);
      // (The addon's RangeError is of the main realm, not jest's: compare names.)
      await expect(binding!.decodeBatch([spec(jpeg), spec(jpeg)], out, size)).rejects.toHaveProperty(
        'name',
        'RangeError',
      );
      await expect(binding!.decodeBatch([spec(jpeg), spec(jpeg)], out, size)).rejects.toThrow(
        /out holds 1535 bytes; specs\[1\] needs bytes 768\.\.1536/,
      );
      expect(out.every((v) => v === 5)).toBe(true);
      const ok = Buffer.alloc(2 * size * size * 3);
      await expect(
        binding!.decodeBatch([spec(jpeg), spec(jpeg, { region: [10, 0, 200, 150] })], ok, size),
      ).rejects.toThrow(/specs\[1\]: region/);
      await expect(binding!.decodeBatch([spec(jpeg, { crop: [6, 0] })], ok, size)).rejects.toThrow(
        /crop must lie inside/,
      );
      await expect(binding!.decodeBatch([spec(jpeg, { kind: 'raw' })], ok, size)).rejects.toThrow(/raw data holds/);
      await expect(
        binding!.decodeBatch([{ ...spec(jpeg), data: 'x' as unknown as Uint8Array }], ok, size),
      ).rejects.toHaveProperty('name', 'TypeError');
      await expect(binding!.decodeBatch([spec(jpeg)], ok, size, { threads: 0 })).rejects.toThrow(/threads/);
      // A header that disagrees with the plan is refused natively (the loader then asks sharp).
      expect(await binding!.decodeBatch([spec(jpeg, { width: 201, region: [0, 0, 201, 150] })], ok, size)).toEqual([
        expect.stringMatching(/200x150, expected 201x150/),
      ]);
    });
  });

  test('caches: raw records give exactly the sharp path’s bytes; JPEG records within JPEG error', async () => {
    const dir = tmpDir('native-cache');
    const out = { raw: path.join(dir, 'raw.lmdb'), jpeg: path.join(dir, 'jpeg.lmdb') };
    for (const encoding of ['raw', 'jpeg'] as const) {
      await prepareCache({
        dataset: ds,
        dataPath: path.dirname(ds.source(0).path),
        out: out[encoding],
        crop: 'none',
        size: 32,
        encoding,
      });
      const cache = new CacheDataset(out[encoding]);
      const opts = { crop: 'none' as const, size: 32, train: true, seed: 8, epochs: 2, augment: { brightness: 0.2 } };
      const native = Buffer.concat((await batches(cache, { ...opts, decoder: 'native' })).map((b) => b.data));
      const viaSharp = Buffer.concat((await batches(cache, { ...opts, decoder: 'sharp' })).map((b) => b.data));
      if (encoding === 'raw') expect(native.equals(viaSharp)).toBe(true);
      else expect(meanAbs(native, viaSharp)).toBeLessThan(1);
      await cache.close();
    }
    // The resize that made a cache is one of its settings: never mixed when resuming.
    const other = path.join(dir, 'sharp.lmdb');
    const prep = (decoder?: 'sharp') =>
      prepareCache({
        dataset: ds,
        dataPath: path.dirname(ds.source(0).path),
        out: other,
        crop: 'none',
        size: 32,
        encoding: 'raw',
        decoder,
      });
    await prep('sharp');
    await expect(prep()).rejects.toThrow(/resize=sharp, not .* resize=native; refusing/);
  });
});

describeShared('native decoding of real faces', () => {
  (binding ? test : test.skip)('CFP: pixels close to the sharp path at 112 px; the flip agrees', async () => {
    const cfp = new ImageFolderDataset({ root: path.join(SHARED, 'cfp/Data/Images') });
    const opts = { crop: 'none' as const, size: 112, train: true, seed: 1, batchSize: 16, epochs: 1 };
    const loader = (decoder: 'native' | 'sharp') => new Loader(cfp, { ...opts, decoder });
    const take = async (l: Loader) => {
      const it = l[Symbol.asyncIterator]();
      const got = [];
      for (let k = 0; k < 2; k++) {
        const b = (await it.next()).value;
        got.push(Buffer.from(b.data));
        l.release(b);
      }
      l.close();
      return Buffer.concat(got);
    };
    const native = await take(loader('native'));
    const viaSharp = await take(loader('sharp'));
    const stride = 112 * 112 * 3;
    const maes: number[] = [];
    for (let k = 0; k < 32; k++) {
      const a = native.subarray(k * stride, (k + 1) * stride);
      const b = viaSharp.subarray(k * stride, (k + 1) * stride);
      maes.push(meanAbs(a, b));
      // Mirror sharp's image: a native flip that disagreed would match this better.
      const mirrored = Buffer.alloc(stride);
      for (let y = 0; y < 112; y++)
        for (let x = 0; x < 112; x++)
          b.copy(mirrored, (y * 112 + x) * 3, (y * 112 + 111 - x) * 3, (y * 112 + 112 - x) * 3);
      expect(maes[k]).toBeLessThan(meanAbs(a, mirrored));
    }
    // Lanczos3 (sharp) against a triangle filter: most faces within 1–3 levels; small images that
    // are upscaled slightly (127 → 128 px) differ most (up to ~8), the triangle blurring more.
    expect(Math.max(...maes)).toBeLessThan(10);
    expect(maes.reduce((s, v) => s + v, 0) / maes.length).toBeLessThan(3.5);
  });
});
