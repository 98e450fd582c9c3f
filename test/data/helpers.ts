/** Test helpers: the shared real data (skip when absent) and scratch folders. */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';

export const SHARED = path.resolve(__dirname, '../../../shared/data');
export const HAVE_SHARED = fs.existsSync(path.join(SHARED, 'MANIFEST.md'));
// CI always has ../shared: a skip there would hide a broken checkout, so it fails instead.
if (!HAVE_SHARED && process.env.CI) throw new Error(`${SHARED} not found: CI must have ../shared/data`);
if (!HAVE_SHARED) process.stderr.write(`note: ${SHARED} not found; tests on real data are skipped\n`);

/** `describe` on real data, skipped with a message when ../shared/data is absent. */
export const describeShared = HAVE_SHARED ? describe : describe.skip;

export { tmpDir } from '../helpers/paths';

/** A small real image file of a given format with a colour gradient (so crops differ). */
export async function writeImage(
  file: string,
  width: number,
  height: number,
  format: 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' = 'png',
  seed = 0,
): Promise<void> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      raw[o] = (x * 7 + seed * 31) & 255;
      raw[o + 1] = (y * 5 + seed * 17) & 255;
      raw[o + 2] = ((x + y) * 3) & 255;
    }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(raw, { raw: { width, height, channels: 3 } })
    .toFormat(format)
    .toFile(file);
}

export function collectWarnings(): { warn: (m: string) => void; messages: string[] } {
  const messages: string[] = [];
  return { warn: (m) => messages.push(m), messages };
}
