/**
 * Sizes from outside are bounded before any work: input sizes, batch sizes, image pixel counts,
 * and input buffers the addon cannot take. Each error says what is allowed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { Model } from '../lib';
import { loadBase } from '../lib/data/transform';
import { MAX_INPUT_PIXELS } from '../lib/data/jpeg-header';
import { embedEncoded } from '../lib/eval/embed';
import { resolveConfig } from '../lib/train/config';

let model: Model;
let dir: string;
beforeAll(async () => {
  model = await Model.create({ numClasses: 3, seed: 0, inputSize: 32 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'input-limits-'));
});
afterAll(() => {
  model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A real 16x16 JPEG whose frame header claims width x height. */
async function forgedJpeg(width: number, height: number): Promise<Buffer> {
  const b = Buffer.from(
    await sharp({ create: { width: 16, height: 16, channels: 3, background: '#808080' } })
      .jpeg()
      .toBuffer(),
  );
  for (let i = 0; i < b.length - 9; i++) {
    if (b[i] === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2)) {
      b.writeUInt16BE(height, i + 5);
      b.writeUInt16BE(width, i + 7);
      return b;
    }
  }
  throw new Error('no SOF marker');
}

test('inputSize outside 32..1024 is a RangeError that says the range', async () => {
  await expect(Model.create({ numClasses: 2, inputSize: 100000 })).rejects.toThrow(
    'inputSize must be an integer from 32 to 1024 pixels, got 100000',
  );
  await expect(Model.create({ numClasses: 2, inputSize: 16 })).rejects.toThrow(/from 32 to 1024/);
});

test('an embedding size of 5000 is refused before any buffer is allocated', async () => {
  await expect(embedEncoded(model, [new Uint8Array(10)], 'x', { size: 5000 })).rejects.toThrow(
    'size must be an integer from 32 to 1024 pixels, got 5000',
  );
});

test('training with batchSize 1 is refused with a BatchNorm explanation', async () => {
  expect(() => resolveConfig({ demo: true, batchSize: 1 })).toThrow(/batchSize: must be at least 2 \(BatchNorm/);
  const x = new Uint8Array(32 * 32 * 3);
  await expect(model.trainStep(x, [1, 32, 32, 3], new Int32Array([0]), { lr: 0.1 })).rejects.toThrow(
    /BatchNorm needs more than 1 sample per batch/,
  );
});

test('a SharedArrayBuffer input is a TypeError that says to copy it', async () => {
  const x = new Uint8Array(new SharedArrayBuffer(2 * 32 * 32 * 3));
  const err = await model.forward(x, [2, 32, 32, 3]).catch((e: Error) => e);
  expect(err).toBeInstanceOf(TypeError);
  expect((err as Error).message).toMatch(/SharedArrayBuffer.*copy it into a Uint8Array/);
});

describe('a JPEG header of 60000x60000 pixels', () => {
  test('is over the limit', () => expect(60000 * 60000).toBeGreaterThan(MAX_INPUT_PIXELS));

  test('loading it as a sample names the file and the limit, without decoding', async () => {
    const file = path.join(dir, 'huge.jpg');
    fs.writeFileSync(file, await forgedJpeg(60000, 60000));
    const before = process.memoryUsage().rss;
    await expect(loadBase({ path: file, label: 0 }, { crop: 'none', size: 64 })).rejects.toThrow(
      `${file}: image is larger than the ${MAX_INPUT_PIXELS}-pixel limit`,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(500 * 2 ** 20);
  });

  test('embedding it names the image and the limit', async () => {
    await expect(embedEncoded(model, [await forgedJpeg(60000, 60000)], 'pairs.txt')).rejects.toThrow(
      /pairs.txt: image 0 cannot be decoded: image is larger than the 268402689-pixel limit/,
    );
  });
});
