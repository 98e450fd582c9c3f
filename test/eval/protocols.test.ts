/**
 * The protocols end to end on demo data with a tiny randomly initialised ResNet-50 at 32 px, and
 * their parsers on the real protocol files in ../shared/data.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeDemoDataset } from '../../lib/data/demo';
import { ImageFolderDataset } from '../../lib/data/image-folder';
import { aggregateTemplates } from '../../lib/eval/aggregate';
import { embedBatch, embedDataset, mirrorBatch } from '../../lib/eval/embed';
import { evaluate } from '../../lib/eval/evaluate';
import { identifyProtocol } from '../../lib/eval/protocols/identify';
import { readLfwPairs } from '../../lib/eval/protocols/lfw';
import { loadTemplates } from '../../lib/eval/protocols/templates';
import { readPairsList } from '../../lib/eval/protocols/verify';
import { ImageListDataset } from '../../lib/eval/image-list';
import { Model } from '../../lib/model';
import { describeShared, SHARED, tmpDir } from '../data/helpers';

const SIZE = 32;
let model: Model;
let demo: string;
let dir: string;

beforeAll(async () => {
  dir = tmpDir('eval');
  demo = path.join(dir, 'demo');
  // 12 identities: 10 train, 2 test (pose/age templates need at least 2).
  await writeDemoDataset({ out: demo, identities: 12, images: 12, size: 48, seed: 3 });
  model = await Model.create({ numClasses: 10, seed: 1, inputSize: SIZE });
});
afterAll(() => model?.dispose());

const quiet = { size: SIZE, batchSize: 16 };

describe('embeddings', () => {
  test('unit rows; flip TTA makes an image and its mirror image embed the same', async () => {
    const files = ['train/n000001/0001_01.jpg', 'train/n000001/0002_01.jpg'].map((f) => path.join(demo, f));
    const ds = new ImageListDataset(files, 'two faces');
    const plain = await embedDataset(model, ds, quiet);
    expect(plain.dim).toBe(2048);
    for (let r = 0; r < 2; r++) {
      const row = plain.data.subarray(r * 2048, (r + 1) * 2048);
      expect(Math.hypot(...row)).toBeCloseTo(1, 5);
    }
    const flipped = await embedDataset(model, ds, { ...quiet, flip: true });
    expect(Array.from(flipped.data)).not.toEqual(Array.from(plain.data));
    // Flip TTA is f(x) + f(mirror x): an image and its mirror image get the same vector.
    const x = new Uint8Array(SIZE * SIZE * 3).map((_, i) => (i * 37) % 251);
    const m = new Uint8Array(x.length);
    mirrorBatch({ data: x, n: 1, size: SIZE }, m);
    expect(Array.from(m.subarray(0, 3))).toEqual(Array.from(x.subarray((SIZE - 1) * 3, SIZE * 3)));
    const fx = await embedBatch(model, { data: x, n: 1, size: SIZE }, 'features', true);
    const fm = await embedBatch(model, { data: m, n: 1, size: SIZE }, 'features', true);
    const once = await embedBatch(model, { data: x, n: 1, size: SIZE }, 'features', false);
    expect(Array.from(fm.vectors)).toEqual(Array.from(fx.vectors));
    expect(Array.from(once.vectors)).not.toEqual(Array.from(fx.vectors));
    expect(Array.from(once.logits)).toEqual(Array.from(fx.logits));
  });

  test('template aggregation: per face, per media, per template', () => {
    // Three 2-d faces; faces 0 and 1 are one media. Media means: norm((1,0)+(0,1)) and (0,3)/3.
    const faces = Float32Array.from([2, 0, 0, 5, 0, 3]);
    const t = aggregateTemplates(faces, 2, [
      { row: 0, template: 'A', media: 'm1' },
      { row: 1, template: 'A', media: 'm1' },
      { row: 2, template: 'A', media: 'm2' },
    ]);
    const h = Math.SQRT1_2;
    const raw = [h / 2, (h + 1) / 2];
    const n = Math.hypot(...raw);
    expect(t.names).toEqual(['A']);
    expect(t.data[0]).toBeCloseTo(raw[0] / n, 6);
    expect(t.data[1]).toBeCloseTo(raw[1] / n, 6);
  });
});

describe('protocols on demo data (tiny model, 32 px)', () => {
  test('classify, identify, verify, pose, age', async () => {
    const classify = await evaluate(model, { protocol: 'classify', data: demo, holdout: 2, ...quiet });
    expect(classify.metrics.images).toBe(20); // 10 training identities × 2 held out
    expect(classify.metrics.top5).toBeGreaterThanOrEqual(classify.metrics.top1 as number);
    const identify = await evaluate(model, { protocol: 'identify', data: demo, ...quiet });
    const ids = identify.metrics.identities as number;
    expect(identify.metrics.gallery).toBe(ids);
    expect(identify.metrics.probes).toBe(ids * 11);
    expect((identify.metrics.cmc as number[])[ids - 1]).toBe(1); // rank = #identities always hits
    const verify = await evaluate(model, { protocol: 'verify', data: demo, ...quiet });
    const n = ids * 12;
    expect(verify.metrics.pairs).toBe((n * (n - 1)) / 2);
    expect(verify.metrics.genuine).toBe(ids * 66);
    for (const kind of ['pose', 'age'] as const) {
      const r = await evaluate(model, { protocol: kind, data: demo, ...quiet });
      const k = kind === 'pose' ? 3 : 2;
      expect(r.metrics.templates).toBe(ids * 2 * k);
      const listed = fs
        .readFileSync(path.join(demo, 'meta', `test_${kind}temp_imglist.txt`), 'utf8')
        .trim()
        .split('\n').length;
      expect(r.metrics.template_size).toBe(listed / ids / (2 * k)); // derived from the list's shape
      const sim = r.metrics.similarity as number[][];
      expect(sim).toHaveLength(k);
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) expect(sim[a][b]).toBeCloseTo(sim[b][a], 6);
      expect(r.metrics.cross_rate).toBeGreaterThanOrEqual(0);
      expect(r.metrics.cross_rate).toBeLessThanOrEqual(1);
    }
  });

  test('bad input: a template list of the wrong length, an empty gallery', async () => {
    const bad = path.join(dir, 'bad');
    fs.cpSync(demo, bad, { recursive: true });
    const list = path.join(bad, 'meta', 'test_posetemp_imglist.txt');
    const lines = fs.readFileSync(list, 'utf8').trim().split('\n');
    fs.writeFileSync(list, [...lines.slice(0, 12), lines[0], ...lines.slice(12)].join('\n') + '\n');
    await expect(evaluate(model, { protocol: 'pose', data: bad, ...quiet })).rejects.toThrow(
      /test_posetemp_imglist\.txt:1: n\d+ has 13 images, not a multiple of 6/,
    );
    const ds = new ImageFolderDataset({ root: path.join(demo, 'test') });
    const e = await embedDataset(model, ds, quiet);
    expect(() => identifyProtocol(ds, e, { galleryPerId: 0 })).toThrow(/gallery is empty/);
  });
});

describeShared('protocol files from ../shared/data', () => {
  test('VGGFace2 pose and age templates: 368 × 6 and 100 × 4 of 5 images', () => {
    const root = path.join(SHARED, 'vggface2');
    const pose = loadTemplates(root, 'pose').templates;
    expect(pose).toHaveLength(368 * 6);
    expect(new Set(pose.map((t) => t.identity)).size).toBe(368);
    expect(pose.every((t) => t.images.length === 5)).toBe(true);
    expect(pose.slice(0, 6).map((t) => t.kind)).toEqual([
      'front',
      'front',
      'three-quarter',
      'three-quarter',
      'profile',
      'profile',
    ]);
    const age = loadTemplates(root, 'age').templates;
    expect(age).toHaveLength(100 * 4);
    expect(age.every((t) => t.images.length === 5)).toBe(true);
  });

  test('LFW pairs.txt: 10 folds × 600; a malformed line names file and line', () => {
    const { pairs, folds } = readLfwPairs(path.join(SHARED, 'lfw_protocol', 'pairs.txt'), '/lfw');
    expect(folds).toBe(10);
    expect(pairs).toHaveLength(6000);
    expect(pairs.filter((p) => p.same)).toHaveLength(3000);
    expect(pairs[0]).toMatchObject({
      a: '/lfw/Abel_Pacheco/Abel_Pacheco_0001.jpg',
      b: '/lfw/Abel_Pacheco/Abel_Pacheco_0004.jpg',
      same: true,
      fold: 0,
    });
    expect(pairs[5999].fold).toBe(9);
    const bad = path.join(dir, 'pairs.txt');
    fs.writeFileSync(bad, '2 1\nA 1 2\nA 1 B 1\nA 1 2 3 4\nB 1 C x\n');
    expect(() => readLfwPairs(bad, '/lfw')).toThrow(`${bad}:4: expected 'name i j' or 'name1 i name2 j', got 5 fields`);
  });

  test('labelled pairs lists: header skipped, a malformed line and a missing image are named', async () => {
    const wild = path.join(SHARED, 'wild_pairs', 'master.csv');
    const pairs = readPairsList(wild);
    expect(pairs).toHaveLength(300);
    expect(pairs[0]).toMatchObject({ a: path.join(SHARED, 'wild_pairs', 'img20.jpg'), same: true, where: `${wild}:2` });
    const bad = path.join(dir, 'bad-pairs.txt');
    fs.writeFileSync(bad, 'a.jpg b.jpg 1\na.jpg b.jpg maybe\n');
    expect(() => readPairsList(bad)).toThrow(`${bad}:2: expected 'IMAGE_A IMAGE_B LABEL'`);
    const orl = path.join(SHARED, 'orl');
    const s1 = fs.readdirSync(path.join(orl, 's1'))[0];
    fs.writeFileSync(bad, `s1/${s1} s2/missing.png 0\n`);
    await expect(evaluate(model, { protocol: 'verify', data: orl, pairs: bad, ...quiet })).rejects.toThrow(
      `${bad}:1: ${path.join(orl, 's2', 'missing.png')}`,
    );
  });
});
