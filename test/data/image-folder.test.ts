import * as fs from 'fs';
import * as path from 'path';
import { closedSetSplit, openDataset, openSetSplit } from '../../lib/data/dataset';
import { ImageFolderDataset } from '../../lib/data/image-folder';
import { Issues } from '../../lib/data/issues';
import { loadBase } from '../../lib/data/transform';
import { describeShared, SHARED, tmpDir, writeImage } from './helpers';

describeShared('real image folders', () => {
  test.each([
    ['orl', 40, 400],
    ['yale', 15, 164],
    ['cfp/Data/Images', 150, 2100],
  ])('%s: %i identities, %i images', (dir, classes, images) => {
    const issues = new Issues({ warn: () => undefined });
    const ds = openDataset({ data: path.join(SHARED, dir), issues });
    expect(ds.kind).toBe('folder');
    expect(ds.classes).toHaveLength(classes);
    expect(ds.size).toBe(images);
    // ORL's README at the root is not an identity; nothing else is skipped.
    expect(issues.count()).toBe(0);
  });

  test('Yale GIFs without extension and ORL 1-channel PNGs decode to 3-channel RGB', async () => {
    for (const dir of ['yale', 'orl']) {
      const ds = new ImageFolderDataset({ root: path.join(SHARED, dir) });
      const base = await loadBase(ds.source(0), { crop: 'none', size: 112 });
      expect(Math.min(base.width, base.height)).toBe(128);
      expect(base.data.length).toBe(base.width * base.height * 3);
    }
  });

  test('classes are sorted folder names; labels follow them', () => {
    const ds = new ImageFolderDataset({ root: path.join(SHARED, 'cfp/Data/Images') });
    expect(ds.classes.slice(0, 3)).toEqual(['001', '002', '003']);
    expect(ds.relPath(0)).toBe('001/frontal/01.jpg');
    for (let i = 0; i < ds.size; i += 97) expect(ds.classes[ds.labels[i]]).toBe(ds.relPath(i).split('/')[0]);
  });
});

describe('image folder in a scratch dir', () => {
  test('formats by magic bytes at any depth; a .jpg that is really WebP; hidden and non-image files', async () => {
    const root = tmpDir('folder');
    await writeImage(path.join(root, 'b/x/y/deep.png'), 20, 20, 'png');
    await writeImage(path.join(root, 'b/webp.jpg'), 20, 20, 'webp');
    await writeImage(path.join(root, 'a/noext'), 20, 20, 'gif');
    await writeImage(path.join(root, 'a/t.tiff'), 20, 20, 'tiff');
    fs.writeFileSync(path.join(root, 'a/notes.jpg'), 'not an image');
    fs.writeFileSync(path.join(root, 'a/.DS_Store'), 'hidden');
    fs.mkdirSync(path.join(root, 'empty-identity'));
    const issues = new Issues({ warn: () => undefined });
    const ds = new ImageFolderDataset({ root, issues });
    expect(ds.classes).toEqual(['a', 'b']);
    expect(Array.from({ length: ds.size }, (_, i) => ds.relPath(i))).toEqual([
      'a/noext',
      'a/t.tiff',
      'b/webp.jpg',
      'b/x/y/deep.png',
    ]);
    expect(Array.from(ds.labels)).toEqual([0, 0, 1, 1]);
    expect(issues.count('not-image')).toBe(1);
    for (let i = 0; i < ds.size; i++) await loadBase(ds.source(i), { crop: 'none', size: 16 });
  });
});

describe('splits', () => {
  const labels = Int32Array.from({ length: 100 }, (_, i) => Math.floor(i / 10));
  const fake = {
    kind: 'folder' as const,
    description: 'ten identities',
    classes: Array.from({ length: 10 }, (_, c) => `id${c}`),
    labels,
    size: 100,
    relPath: (i: number) => `id${labels[i]}/${i}.png`,
    source: (i: number) => ({ path: `/x/${i}`, label: labels[i] }),
  };

  test('closed set: N held-out images per identity, seeded, disjoint, labels kept', () => {
    const a = closedSetSplit(fake, 3, 7);
    const b = closedSetSplit(fake, 3, 7);
    const c = closedSetSplit(fake, 3, 8);
    expect(a.test.size).toBe(30);
    expect(a.train.size).toBe(70);
    expect(Array.from(a.test.indices)).toEqual(Array.from(b.test.indices));
    expect(Array.from(a.test.indices)).not.toEqual(Array.from(c.test.indices));
    const tr = new Set(a.train.indices);
    expect(Array.from(a.test.indices).some((i) => tr.has(i))).toBe(false);
    for (let i = 0; i < a.test.size; i++) expect(a.test.labels[i]).toBe(labels[a.test.indices[i]]);
    expect(a.test.classes).toBe(fake.classes);
  });

  test('open set: held-out identities with their own label space', () => {
    const { train, test } = openSetSplit(fake, 3, 1);
    expect(test.classes).toHaveLength(3);
    expect(train.classes).toHaveLength(7);
    expect(test.size).toBe(30);
    expect(new Set(test.labels)).toEqual(new Set([0, 1, 2]));
    expect(train.classes.some((c) => test.classes.includes(c))).toBe(false);
    for (let i = 0; i < test.size; i++)
      expect(test.classes[test.labels[i]]).toBe(fake.classes[labels[test.indices[i]]]);
  });
});
