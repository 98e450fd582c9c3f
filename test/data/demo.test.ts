import * as fs from 'fs';
import * as path from 'path';
import { closedSetSplit } from '../../lib/data/dataset';
import { writeDemoDataset } from '../../lib/data/demo';
import { Issues } from '../../lib/data/issues';
import { Loader } from '../../lib/data/loader';
import { readTemplates, VggFace2Dataset } from '../../lib/data/vggface2';
import { tmpDir } from './helpers';

describe('demo-data', () => {
  let root: string;
  beforeAll(async () => {
    root = tmpDir('demo');
    await writeDemoDataset({ out: root, identities: 20, images: 30, size: 112, seed: 3 });
  });

  test("VGGFace2's layout and metadata: Flag 1/0 identities, lists, boxes, landmarks, templates", () => {
    const issues = new Issues();
    const train = new VggFace2Dataset({ root, split: 'train', issues });
    const test = new VggFace2Dataset({ root, split: 'test', issues });
    expect(issues.count()).toBe(0);
    expect([train.classes.length, test.classes.length]).toEqual([16, 4]);
    expect([train.size, test.size]).toEqual([480, 120]);
    expect(train.annotations.boxes && train.annotations.landmarks).toBeTruthy();
    for (let i = 0; i < train.size; i += 37) {
      const s = train.source(i);
      expect(fs.existsSync(s.path)).toBe(true);
      expect(s.box!.w).toBeGreaterThan(20);
      // The eyes lie inside the box.
      expect(s.landmarks![0]).toBeGreaterThan(s.box!.x);
      expect(s.landmarks![2]).toBeLessThan(s.box!.x + s.box!.w);
    }
    const pose = readTemplates(path.join(root, 'meta/test_posetemp_imglist.txt'), 'pose', issues);
    const age = readTemplates(path.join(root, 'meta/test_agetemp_imglist.txt'), 'age', issues);
    expect(pose).toHaveLength(4 * 6);
    expect(age).toHaveLength(4 * 4);
    expect(pose.every((t) => t.images.length === 5)).toBe(true);
    expect(age.every((t) => t.images.length === 5)).toBe(true);
  });

  test('deterministic for a seed', async () => {
    const a = tmpDir('demoA');
    const b = tmpDir('demoB');
    await writeDemoDataset({ out: a, identities: 3, images: 6, size: 64, seed: 1 });
    await writeDemoDataset({ out: b, identities: 3, images: 6, size: 64, seed: 1 });
    for (const rel of ['meta/identity_meta.csv', 'bb_landmark/loose_landmark_train.csv', 'train/n000001/0004_01.jpg'])
      expect(fs.readFileSync(path.join(a, rel)).equals(fs.readFileSync(path.join(b, rel)))).toBe(true);
  });

  test('learnable: nearest class mean on aligned 32 px crops beats 5× chance on held-out images', async () => {
    const ds = new VggFace2Dataset({ root, split: 'train' });
    const { train, test } = closedSetSplit(ds, 6, 0);
    const feats = async (d: typeof train) => {
      const out: { f: Float32Array; label: number }[] = [];
      const loader = new Loader(d, { crop: 'align', size: 32, batchSize: 16, train: false });
      for await (const b of loader) {
        const stride = 32 * 32 * 3;
        for (let k = 0; k < b.n; k++)
          out.push({ f: Float32Array.from(b.data.subarray(k * stride, (k + 1) * stride)), label: b.labels[k] });
        loader.release(b);
      }
      return out;
    };
    const tr = await feats(train);
    const te = await feats(test);
    const means = ds.classes.map((_, c) => {
      const m = new Float32Array(32 * 32 * 3);
      const members = tr.filter((x) => x.label === c);
      for (const x of members) x.f.forEach((v, i) => (m[i] += v / members.length));
      return m;
    });
    let correct = 0;
    for (const x of te) {
      let best = -1,
        bestD = Infinity;
      means.forEach((m, c) => {
        let d = 0;
        for (let i = 0; i < m.length; i++) d += (m[i] - x.f[i]) ** 2;
        if (d < bestD) [best, bestD] = [c, d];
      });
      correct += +(best === x.label);
    }
    const acc = correct / te.length;
    process.stderr.write(
      `demo nearest-mean held-out top-1: ${(100 * acc).toFixed(1)}% (chance ${(100 / 16).toFixed(1)}%)\n`,
    );
    expect(acc).toBeGreaterThan(5 / 16);
  });
});
