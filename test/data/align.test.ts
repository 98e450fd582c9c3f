import sharp from 'sharp';
import { applySimilarity, TEMPLATE_112, templateFor, umeyama } from '../../lib/data/align';
import { loadBase } from '../../lib/data/transform';
import * as path from 'path';
import { tmpDir } from './helpers';

/** Similarity with scale s, rotation th (rad), translation (tx, ty), applied to flat points. */
function move(pts: readonly number[], s: number, th: number, tx: number, ty: number): number[] {
  return applySimilarity({ a: s * Math.cos(th), b: s * Math.sin(th), tx, ty }, pts);
}

describe('5-point similarity alignment', () => {
  test.each([
    [1, 0, 0, 0],
    [2.7, 0.4, 130.2, -40.7],
    [0.45, -1.1, 12.5, 300.25],
    [3.9, Math.PI * 0.9, 500, 500],
  ])('landmarks moved by scale %f, angle %f, shift (%f, %f) come back to the template', (s, th, tx, ty) => {
    const moved = move(TEMPLATE_112, s, th, tx, ty);
    const back = applySimilarity(umeyama(moved, TEMPLATE_112), moved);
    for (let k = 0; k < 10; k++) expect(Math.abs(back[k] - TEMPLATE_112[k])).toBeLessThan(0.5);
  });

  test('noisy points: least squares over all 5 (error shared, not concentrated on 3)', () => {
    const moved = move(TEMPLATE_112, 2, 0.3, 50, 60);
    moved[4] += 6; // nose off by 6 px before alignment (3 px after the ×½ scale back)
    const back = applySimilarity(umeyama(moved, TEMPLATE_112), moved);
    const err = (k: number) => Math.hypot(back[2 * k] - TEMPLATE_112[2 * k], back[2 * k + 1] - TEMPLATE_112[2 * k + 1]);
    for (const k of [0, 1, 3, 4]) expect(err(k)).toBeLessThan(1.5);
  });

  test.each([112, 224])(
    'pixels: bright dots at moved landmarks land on the %i px template (< 0.5 px)',
    async (size) => {
      const W = 400;
      const H = 360;
      const moved = move(templateFor(112), 2.2, 0.35, 120, 60);
      // Draw radial dots with sharp from an SVG, one image per point so centroids do not mix.
      // Landmarks use pixel-index coordinates (pixel centres at integers, as OpenCV/ArcFace): SVG's
      // continuous coordinates put pixel i's centre at i + 0.5.
      const dst = templateFor(size);
      for (let k = 0; k < 5; k++) {
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="black"/><defs><radialGradient id="g"><stop offset="0" stop-color="white"/><stop offset="1" stop-color="black"/></radialGradient></defs><circle cx="${moved[2 * k] + 0.5}" cy="${moved[2 * k + 1] + 0.5}" r="9" fill="url(#g)"/></svg>`;
        const file = path.join(tmpDir('align'), 'dot.png');
        await sharp(Buffer.from(svg)).png().toFile(file);
        const base = await loadBase({ path: file, label: 0, landmarks: moved }, { crop: 'align', size });
        expect([base.width, base.height]).toEqual([size, size]);
        let sx = 0,
          sy = 0,
          sw = 0;
        for (let y = 0; y < size; y++)
          for (let x = 0; x < size; x++) {
            const v = base.data[(y * size + x) * 3];
            sx += v * x;
            sy += v * y;
            sw += v;
          }
        expect(sw).toBeGreaterThan(0);
        expect(Math.hypot(sx / sw - dst[2 * k], sy / sw - dst[2 * k + 1])).toBeLessThan(0.5);
      }
    },
  );
});
