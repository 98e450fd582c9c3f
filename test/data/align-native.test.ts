/**
 * The 5-point alignment on the native decode path: JPEGs the native decoder takes are aligned
 * there (TurboJPEG + native/jpeg/similarity_warp.cc); other files are decoded by sharp and aligned
 * by the same native resampler. Both must give the same pixels (within 1 grey level), alone and
 * through the loader with augmentation.
 */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { IDENTITY_AUGMENT } from '../../lib/data/augment';
import { loadBaseNative, nativeDecoder, planJpeg } from '../../lib/data/decode-plans';
import { ImageFolderDataset } from '../../lib/data/image-folder';
import { Loader } from '../../lib/data/loader';
import { loadBase } from '../../lib/data/transform';
import type { Dataset } from '../../lib/data/types';
import { detectDataset } from '../../lib/detect/detected-dataset';
import { haveDetection } from '../../lib/detect/detect';
import { native, type DecodeSpec } from '../../lib/native';
import { describeShared, SHARED, tmpDir } from './helpers';

const maxAbs = (a: Uint8Array, b: Uint8Array) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describeShared('5-point alignment on the native path', () => {
  let faces: Dataset;
  let root: string;

  beforeAll(async () => {
    expect(nativeDecoder()).toBeDefined(); // CI installs libturbojpeg0-dev
    expect(haveDetection()).toBe(true); // and libdlib-dev
    root = tmpDir('align-native');
    // Small CFP faces (no pre-shrink at 224, some at 112) and big wild photos (faces 6-9x the
    // template: heavy pre-shrink), plus a PNG that sharp decodes.
    const picks: [string, string][] = [
      ['cfp/Data/Images/001/frontal/01.jpg', 'a/1.jpg'],
      ['cfp/Data/Images/001/frontal/03.jpg', 'a/2.jpg'],
      ['cfp/Data/Images/017/frontal/01.jpg', 'b/1.jpg'],
      ['cfp/Data/Images/090/frontal/01.jpg', 'b/2.jpg'],
      ['wild_pairs/img10.jpg', 'c/1.jpg'],
      ['wild_pairs/img33.jpg', 'c/2.jpg'],
    ];
    for (const [from, to] of picks) {
      fs.mkdirSync(path.join(root, path.dirname(to)), { recursive: true });
      fs.copyFileSync(path.join(SHARED, from), path.join(root, to));
    }
    await sharp(path.join(SHARED, 'cfp/Data/Images/042/frontal/01.jpg')).png().toFile(path.join(root, 'a/3.png'));
    faces = await detectDataset(new ImageFolderDataset({ root }));
    expect(faces.size).toBe(7);
  }, 60_000);

  test.each([112, 224])(
    'at %i px: the native JPEG path gives the sharp-decoded path’s pixels (within 1 level)',
    async (size) => {
      const binding = nativeDecoder()!;
      let preShrunk = 0;
      for (let i = 0; i < faces.size; i++) {
        const src = faces.source(i);
        const buf = fs.readFileSync(src.path);
        const spec = planJpeg(buf, src, { crop: 'align', size }, IDENTITY_AUGMENT);
        if (src.path.endsWith('.png')) {
          expect(spec).toBeUndefined();
          continue;
        }
        // Taken natively, not handed back to sharp.
        expect(spec?.align).toBeDefined();
        if (spec?.align?.pre) preShrunk++;
        const viaSharp = await loadBase(src, { crop: 'align', size });
        const viaNative = await loadBaseNative(binding, src, { crop: 'align', size });
        expect([viaNative.width, viaNative.height]).toEqual([size, size]);
        expect(maxAbs(viaNative.data, viaSharp.data)).toBeLessThanOrEqual(1);
      }
      expect(preShrunk).toBeGreaterThanOrEqual(2);
    },
    60_000,
  );

  test('the loader: native and sharp decoders give the same augmented batches', async () => {
    const opts = { crop: 'align' as const, size: 112, train: true, seed: 5, batchSize: 4, epochs: 2 };
    const take = async (decoder: 'native' | 'sharp') => {
      const loader = new Loader(faces, { ...opts, decoder });
      expect(loader.decoder).toBe(decoder);
      const got: Buffer[] = [];
      for await (const b of loader) {
        got.push(Buffer.from(b.data.subarray(0, b.n * b.size * b.size * 3)));
        loader.release(b);
      }
      return Buffer.concat(got);
    };
    const viaNative = await take('native');
    const viaSharp = await take('sharp');
    // Training drops the last partial batch: 4 of the 7 faces in each of the 2 epochs.
    expect(viaNative.length).toBe(2 * 4 * 112 * 112 * 3);
    expect(viaSharp.length).toBe(viaNative.length);
    expect(maxAbs(viaNative, viaSharp)).toBeLessThanOrEqual(1);
  }, 60_000);

  test('bad alignment plans are refused with the option named', async () => {
    const binding = native();
    const spec = (align: unknown): DecodeSpec =>
      ({
        data: Buffer.alloc(8 * 8 * 3),
        kind: 'raw',
        width: 8,
        height: 8,
        region: [0, 0, 8, 8],
        resized: [4, 4],
        crop: [0, 0],
        flip: false,
        gray: false,
        align,
      }) as DecodeSpec;
    const out = Buffer.alloc(4 * 4 * 3);
    await expect(binding.decodeBatch([spec({ similarity: [0, 0, 1, 1] })], out, 4)).rejects.toThrow(
      /specs\[0\]\.align\.similarity must not be singular/,
    );
    await expect(binding.decodeBatch([spec({ similarity: [1, 0] })], out, 4)).rejects.toThrow(
      /specs\[0\]\.align\.similarity must be \[a, b, tx, ty\]/,
    );
    await expect(binding.decodeBatch([spec({ similarity: [1, 0, NaN, 0] })], out, 4)).rejects.toThrow(
      /similarity\[2\]/,
    );
    await expect(binding.decodeBatch([spec({ similarity: [1, 0, 0, 0], pre: [0, 4] })], out, 4)).rejects.toThrow(
      /specs\[0\]\.align\.pre/,
    );
    // A similarity that maps the image far away gives black, not a crash.
    await expect(binding.decodeBatch([spec({ similarity: [1e-3, 0, 1e12, -1e12] })], out, 4)).resolves.toEqual([null]);
    expect(out.every((v) => v === 0)).toBe(true);
  });
});
