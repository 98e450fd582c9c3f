/**
 * A small picture per enrolled person (what the service's page shows next to a search hit), in
 * `thumbnails/` inside the gallery, named by the SHA-256 of the identity so that no name ever
 * becomes a path. Written atomically; a missing thumbnail is just absent.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { MAX_INPUT_PIXELS } from '../data/jpeg-header';
import { writeFileAtomic } from '../io/atomic-write';

const SIDE = 96;

const fileOf = (dir: string, id: string) =>
  path.join(dir, 'thumbnails', createHash('sha256').update(id, 'utf8').digest('hex') + '.jpg');

/** A SIDE×SIDE JPEG of the image's centre (EXIF-oriented). */
export async function makeThumbnail(image: Buffer): Promise<Buffer> {
  return sharp(image, { failOn: 'truncated', limitInputPixels: MAX_INPUT_PIXELS })
    .rotate()
    .resize(SIDE, SIDE, { fit: 'cover' })
    .jpeg({ quality: 80 })
    .toBuffer();
}

export function writeThumbnail(dir: string, id: string, jpeg: Buffer): void {
  fs.mkdirSync(path.join(dir, 'thumbnails'), { recursive: true });
  writeFileAtomic(fileOf(dir, id), jpeg);
}

export function readThumbnail(dir: string, id: string): Buffer | undefined {
  try {
    return fs.readFileSync(fileOf(dir, id));
  } catch {
    return undefined;
  }
}

export function removeThumbnail(dir: string, id: string): void {
  fs.rmSync(fileOf(dir, id), { force: true });
}
