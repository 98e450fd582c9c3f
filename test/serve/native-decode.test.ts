/**
 * The service's native JPEG path (lib/serve/native-decode.ts, lib/serve/images.ts): real
 * TurboJPEG through the addon, real sharp for what it does not take.
 */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { nativeDecoder } from '../../lib/data/decode-plans';
import type { NativeBinding } from '../../lib/native';
import { requestPixels, RequestError } from '../../lib/serve/images';
import { CoalescingDecoder } from '../../lib/serve/native-decode';
import { dataDir } from '../helpers/paths';

jest.setTimeout(60_000);

const SIZE = 112;
const root = path.join(dataDir, 'vggface2', 'samples', 'tight_crop_training');
const jpegs = fs
  .readdirSync(root)
  .flatMap((id) => fs.readdirSync(path.join(root, id)).map((f) => fs.readFileSync(path.join(root, id, f))))
  .slice(0, 6);

/** The real addon with its decodeBatch calls counted. */
function counted(): { binding: NativeBinding; calls: number[] } {
  const real = nativeDecoder();
  if (!real) throw new Error('the addon was built without TurboJPEG');
  const calls: number[] = [];
  const binding = Object.create(real) as NativeBinding;
  binding.decodeBatch = (specs, out, size, o) => {
    calls.push(specs.length);
    return real.decodeBatch(specs, out, size, o);
  };
  return { binding, calls };
}

const sharpPixels = (buf: Buffer) => requestPixels(buf, 'face', SIZE, { maxPixels: 1e8 });

test('requests of one turn share one native call; each image decodes as it does alone, and near sharp', async () => {
  const { binding, calls } = counted();
  const decoder = new CoalescingDecoder(binding, SIZE);
  const limits = { maxPixels: 1e8, decoder };
  const together = await Promise.all(jpegs.map((b, i) => requestPixels(b, `image[${i}]`, SIZE, limits)));
  expect(calls).toEqual([jpegs.length]);
  for (const [i, b] of jpegs.entries()) {
    const alone = await requestPixels(b, 'face', SIZE, limits);
    expect(Buffer.compare(alone, together[i])).toBe(0);
    // sharp resamples with lanczos3, the native path with antialiased bilinear (docs/loader.md):
    // 1.6-4.4 levels apart on these (the most for a 79×91 image, upscaled), the same window (one
    // pixel to the side is 7-11 levels away).
    const viaSharp = await sharpPixels(b);
    let sum = 0;
    let shifted = 0;
    for (let k = 0; k < viaSharp.length; k++) {
      sum += Math.abs(viaSharp[k] - together[i][k]);
      if (k >= 3) shifted += Math.abs(viaSharp[k - 3] - together[i][k]);
    }
    expect(sum / viaSharp.length).toBeLessThan(6);
    expect(sum).toBeGreaterThan(0); // really another decoder
    expect(shifted).toBeGreaterThan(1.2 * sum);
  }
  expect(calls.length).toBe(1 + jpegs.length);
});

test('what the native decoder does not take goes to sharp; bad images are refused, not crashed on', async () => {
  const { binding, calls } = counted();
  const limits = { maxPixels: 1e8, decoder: new CoalescingDecoder(binding, SIZE) };
  // A PNG never reaches the native decoder.
  const png = await sharp(jpegs[0]).png().toBuffer();
  expect(Buffer.compare(await requestPixels(png, 'png', SIZE, limits), await sharpPixels(png))).toBe(0);
  expect(calls).toEqual([]);
  // A CMYK JPEG is planned for sharp.
  const cmyk = await sharp(jpegs[0]).toColourspace('cmyk').jpeg().toBuffer();
  expect((await requestPixels(cmyk, 'cmyk', SIZE, limits)).length).toBe(SIZE * SIZE * 3);
  expect(calls).toEqual([]);
  // A JPEG cut short after its header: whatever decodes, the answer is pixels or a 415, never a crash.
  const cut = jpegs[1].subarray(0, 700);
  const r = await requestPixels(cut, 'cut', SIZE, limits).catch((e: Error) => e);
  if (r instanceof Error) expect(r).toMatchObject({ status: 415 });
  else expect(r.length).toBe(SIZE * SIZE * 3);
  // Garbage after a JPEG signature; a header declaring too many pixels, refused before decoding.
  const junk = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]);
  await expect(requestPixels(junk, 'junk', SIZE, limits)).rejects.toMatchObject({ status: 415 });
  const big = Buffer.from(jpegs[2]);
  const sof = findSof(big);
  big.writeUInt16BE(60000, sof + 5); // height
  big.writeUInt16BE(60000, sof + 7); // width
  const e = await requestPixels(big, 'big', SIZE, limits).catch((x: Error) => x);
  expect(e).toBeInstanceOf(RequestError);
  expect(e).toMatchObject({ status: 413, message: expect.stringMatching(/big: 60000×60000 pixels is over/) });
});

/** Offset of the first SOF0/SOF2 marker. */
function findSof(b: Buffer): number {
  for (let i = 2; i + 9 < b.length; i++) if (b[i] === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2)) return i;
  throw new Error('no SOF marker');
}
