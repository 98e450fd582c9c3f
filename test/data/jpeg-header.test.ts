import sharp from 'sharp';
import { readJpegHeader } from '../../lib/data/jpeg-header';

const rgb = (w: number, h: number) => sharp(Buffer.alloc(w * h * 3, 90), { raw: { width: w, height: h, channels: 3 } });

describe('JPEG header', () => {
  test('size, precision and components of real JPEGs (RGB, gray, CMYK, progressive)', async () => {
    expect(readJpegHeader(await rgb(37, 21).jpeg().toBuffer())).toEqual({
      width: 37,
      height: 21,
      precision: 8,
      components: 3,
      orientation: 1,
    });
    expect(readJpegHeader(await rgb(8, 9).jpeg({ progressive: true }).toBuffer())).toMatchObject({
      width: 8,
      height: 9,
      components: 3,
    });
    expect(readJpegHeader(await rgb(8, 9).toColourspace('b-w').jpeg().toBuffer())).toMatchObject({ components: 1 });
    expect(readJpegHeader(await rgb(8, 9).toColourspace('cmyk').jpeg().toBuffer())).toMatchObject({ components: 4 });
  });

  test('EXIF orientation', async () => {
    const jpeg = await rgb(30, 20).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(readJpegHeader(jpeg)).toMatchObject({ width: 30, height: 20, orientation: 6 });
  });

  test('not a JPEG, truncated before the frame header, or lengths past the end: undefined', async () => {
    const jpeg = await rgb(8, 8).jpeg().toBuffer();
    expect(readJpegHeader(Buffer.alloc(0))).toBeUndefined();
    expect(readJpegHeader(Buffer.from('GIF89a......'))).toBeUndefined();
    expect(readJpegHeader(jpeg.subarray(0, 30))).toBeUndefined();
    expect(
      readJpegHeader(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 7)])),
    ).toBeUndefined();
  });
});
