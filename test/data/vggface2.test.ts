import * as path from 'path';
import sharp from 'sharp';
import { Issues } from '../../lib/data/issues';
import { loadBase } from '../../lib/data/transform';
import { readIdentityMeta, readTemplates, VggFace2Dataset } from '../../lib/data/vggface2';
import { describeShared, SHARED } from './helpers';

const ROOT = path.join(SHARED, 'vggface2');

describeShared('VGGFace2 metadata as released', () => {
  test('identity_meta.csv: 9,131 identities, 8,631 train (Flag 1) and 500 test, names unquoted', () => {
    const issues = new Issues();
    const meta = readIdentityMeta(path.join(ROOT, 'meta/identity_meta.csv'), issues);
    expect(issues.count()).toBe(0);
    expect(meta).toHaveLength(9131);
    expect(meta.filter((m) => m.flag === 1)).toHaveLength(8631);
    expect(meta.filter((m) => m.flag === 0)).toHaveLength(500);
    expect(meta[0]).toEqual({ id: 'n000001', name: '14th_Dalai_Lama', sampleNum: 424, flag: 0, gender: 'm' });
  });

  test('train list (.gz, 3,141,890 lines) indexes in seconds and compactly, classes in file order', () => {
    const heap0 = process.memoryUsage();
    const t0 = Date.now();
    const ds = new VggFace2Dataset({ root: ROOT, split: 'train' });
    const ms = Date.now() - t0;
    const m = process.memoryUsage();
    const mb = (m.heapUsed + m.arrayBuffers - heap0.heapUsed - heap0.arrayBuffers) / 1e6;
    process.stderr.write(
      `train list: ${ms} ms, +${mb.toFixed(0)} MB retained-ish, rss ${(m.rss / 1e6).toFixed(0)} MB\n`,
    );
    expect(ds.size).toBe(3141890);
    expect(ds.classes).toHaveLength(8631);
    expect(ds.classes[0]).toBe('n000002');
    expect(ms).toBeLessThan(10000);
    // Growth, not absolute RSS: jest runs every suite in one process (LibTorch models included).
    expect(m.rss - heap0.rss).toBeLessThan(1e9);
    expect(ds.relPath(0)).toBe('n000002/0001_01.jpg');
    expect(ds.labels[0]).toBe(0);
    expect(ds.classes[ds.labels[ds.size - 1]]).toBe(ds.relPath(ds.size - 1).split('/')[0]);
    // Every label must be the class of its path (spot check across the list).
    for (let i = 0; i < ds.size; i += 99991) expect(ds.classes[ds.labels[i]]).toBe(ds.relPath(i).split('/')[0]);
  });

  test('test list: 169,396 images of 500 identities, with the official loose boxes', () => {
    const ds = new VggFace2Dataset({ root: ROOT, split: 'test' });
    expect(ds.size).toBe(169396);
    expect(new Set(ds.labels).size).toBe(500);
    expect(ds.classes).toHaveLength(500);
    expect(ds.source(1).box).toEqual({ x: 134, y: 81, w: 207, h: 295 });
    // No test/ folder in this copy: images default to the root itself.
    expect(ds.source(1).path).toBe(path.join(ROOT, 'n000001/0002_01.jpg'));
  });

  test('pose templates: 368 identities × 6 templates of 5; age templates: 100 × 4', () => {
    const issues = new Issues();
    const pose = readTemplates(path.join(ROOT, 'meta/test_posetemp_imglist.txt'), 'pose', issues);
    const age = readTemplates(path.join(ROOT, 'meta/test_agetemp_imglist.txt'), 'age', issues);
    expect(issues.count()).toBe(0);
    expect(new Set(pose.map((t) => t.identity)).size).toBe(368);
    expect(pose).toHaveLength(368 * 6);
    expect(pose.every((t) => t.images.length === 5)).toBe(true);
    expect(pose.slice(0, 6).map((t) => t.kind)).toEqual([
      'front',
      'front',
      'three-quarter',
      'three-quarter',
      'profile',
      'profile',
    ]);
    expect(new Set(age.map((t) => t.identity)).size).toBe(100);
    expect(age).toHaveLength(400);
    expect(age.slice(0, 4).map((t) => t.kind)).toEqual(['young', 'young', 'mature', 'mature']);
    expect(age.every((t) => t.images.length === 5)).toBe(true);
  });
});

describeShared('VGGFace2 samples: the released images crop by their official loose boxes', () => {
  const ds = new VggFace2Dataset({
    root: ROOT,
    split: 'test',
    images: path.join(ROOT, 'samples/loose_crop_release'),
    onlyExisting: true,
  });

  test('the 32 released sample images are found, with boxes inside them', async () => {
    expect(ds.size).toBe(32);
    for (let i = 0; i < ds.size; i++) {
      const s = ds.source(i);
      const m = await sharp(s.path).metadata();
      expect(s.box).toBeDefined();
      const b = s.box!;
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.y).toBeGreaterThanOrEqual(0);
      expect(b.x + b.w).toBeLessThanOrEqual(m.width!);
      expect(b.y + b.h).toBeLessThanOrEqual(m.height!);
    }
  });

  test('crop = box × 1.3 about its centre, clamped, shorter side 256 (224 px models)', async () => {
    for (let i = 0; i < ds.size; i++) {
      const s = ds.source(i);
      const b = s.box!;
      const m = await sharp(s.path).metadata();
      // Expected region computed here independently from the raw CSV numbers.
      const cx = b.x + b.w / 2;
      const cy = b.y + b.h / 2;
      const left = Math.max(0, Math.round(cx - 0.65 * b.w));
      const top = Math.max(0, Math.round(cy - 0.65 * b.h));
      const right = Math.min(m.width!, Math.round(cx + 0.65 * b.w));
      const bottom = Math.min(m.height!, Math.round(cy + 0.65 * b.h));
      const w = right - left;
      const h = bottom - top;
      const ew = w <= h ? 256 : Math.round((w * 256) / h);
      const eh = w <= h ? Math.round((h * 256) / w) : 256;
      const base = await loadBase(s, { crop: 'loose', size: 224 });
      expect([base.width, base.height]).toEqual([ew, eh]);
      const expected = await sharp(s.path)
        .extract({ left, top, width: w, height: h })
        .resize(ew, eh, { fit: 'fill' })
        .raw()
        .toBuffer();
      expect(base.data.equals(expected)).toBe(true);
    }
  });

  test('other sizes scale the short side: 112 px → 128', async () => {
    const base = await loadBase(ds.source(0), { crop: 'loose', size: 112 });
    expect(Math.min(base.width, base.height)).toBe(128);
  });
});
