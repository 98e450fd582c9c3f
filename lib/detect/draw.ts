/** Pictures with the detected boxes and 5 points drawn on (for `detect --draw`): an SVG overlay composited by sharp. */
import sharp from 'sharp';
import { MAX_INPUT_PIXELS } from '../data/jpeg-header';
import { writeFileAtomic } from '../io/atomic-write';
import type { ImageFaces } from './detect';

export async function drawFaces(image: Buffer, found: ImageFaces, out: string): Promise<void> {
  const { width, height } = found;
  const stroke = Math.max(2, Math.round(Math.max(width, height) / 400));
  const shapes = found.faces.flatMap((f, i) => {
    const [x, y, w, h] = f.box;
    const colour = i === 0 ? '#00e060' : '#ffb000';
    const points = (f.points ?? []).flatMap((_, j, p) =>
      j % 2 === 0 ? [`<circle cx="${p[j]}" cy="${p[j + 1]}" r="${stroke * 1.5}" fill="#ff3030"/>`] : [],
    );
    return [
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>`,
      `<text x="${x}" y="${Math.max(12, y - stroke * 2)}" fill="${colour}" font-size="${stroke * 8}" ` +
        `font-family="sans-serif">${f.score.toFixed(2)}</text>`,
      ...points,
    ];
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
  const jpeg = await sharp(image, { limitInputPixels: MAX_INPUT_PIXELS })
    .rotate()
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .jpeg({ quality: 85 })
    .toBuffer();
  writeFileAtomic(out, jpeg);
}
