/** Face detection on real photos (dlib, Debian's landmark model) and its bad inputs. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import zlib from 'zlib';
import { Issues } from '../../lib/data/issues';
import { detectFaces, largestFace } from '../../lib/detect/detect';
import { native } from '../../lib/native';
import { dataDir, removeTmpDirs, repoRoot, tmpDir } from '../helpers/paths';
import { cfpLeftEye, eyeError } from './cfp';

jest.setTimeout(180_000);
afterAll(removeTmpDirs);

const wild = (f: string) => path.join(dataDir, 'wild_identities', 'knn_examples', 'test', f);

/** Every point of a face inside its box (with a margin of 10% of the box for the mouth corners of a tilted face). */
function pointsInside(box: number[], points: number[]): boolean {
  const m = 0.1 * box[2];
  return points.every((v, j) =>
    j % 2 === 0 ? v >= box[0] - m && v <= box[0] + box[2] + m : v >= box[1] - m && v <= box[1] + box[3] + m,
  );
}

test('the addon has dlib here (CI installs libdlib-dev)', () => {
  expect(native().dlib).toBe(true);
});

test('faces in real photos: one, two, the 5 points inside each box, a WebP named .jpg', async () => {
  const files = [wild('obama1.jpg'), wild('kit_with_rose.jpg'), path.join(dataDir, 'wild_pairs', 'img47.jpg')];
  const [one, two, webp] = await detectFaces(files);
  expect(one!.faces).toHaveLength(1);
  expect(two!.faces).toHaveLength(2);
  expect(webp!.faces.length).toBeGreaterThanOrEqual(1);
  for (const r of [one!, two!, webp!])
    for (const f of r.faces) {
      expect(f.points).toHaveLength(10);
      expect(f.landmarks).toHaveLength(136);
      expect(pointsInside(f.box, f.points!)).toBe(true);
      // Eyes above the mouth, left eye left of the right one.
      expect(f.points![0]).toBeLessThan(f.points![2]);
      expect(Math.max(f.points![1], f.points![3])).toBeLessThan(Math.min(f.points![7], f.points![9]));
    }
  // Largest first.
  expect(two!.faces[0].box[2]).toBeGreaterThanOrEqual(two!.faces[1].box[2]);
  expect(largestFace(two!.faces)).toBe(two!.faces[0]);
});

test('eye centres against CFP fiducials: within 10% of the inter-ocular distance', async () => {
  const people = ['001', '002', '003', '004', '005'];
  const files = people.flatMap((p) =>
    ['01', '05'].map((i) => path.join(dataDir, 'cfp', 'Data', 'Images', p, 'frontal', `${i}.jpg`)),
  );
  const found = await detectFaces(files);
  const errors = found.map((r, k) => {
    const face = largestFace(r!.faces);
    expect(face).toBeDefined();
    return eyeError(face!.points!, cfpLeftEye(dataDir, people[k >> 1], ['01', '05'][k % 2]));
  });
  expect(errors.filter((e) => e < 0.1).length).toBeGreaterThanOrEqual(9);
});

test('downscaling keeps coordinates in the original pixels; a batch equals one by one', async () => {
  const file = wild('obama1.jpg');
  const [full] = await detectFaces([file], { maxSide: 4000 });
  const [small] = await detectFaces([file], { maxSide: 600 });
  const a = full!.faces[0].box;
  const b = small!.faces[0].box;
  expect(small!.width).toBe(full!.width);
  // The same face, boxes within a few percent of its size.
  for (let j = 0; j < 4; j++) expect(Math.abs(a[j] - b[j])).toBeLessThan(0.1 * a[2]);
  const files = [wild('obama1.jpg'), wild('kit_with_rose.jpg'), wild('johnsnow_test1.jpg')];
  const batched = await detectFaces(files, { batch: 3 });
  const single = await Promise.all(files.map(async (f) => (await detectFaces([f], { batch: 1 }))[0]));
  expect(batched).toEqual(single);
});

test('no face, 1x1, a header declaring 60000x60000, not an image: no crash, counted', async () => {
  const dir = tmpDir('detect');
  const flat = path.join(dir, 'flat.png');
  await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 120, g: 130, b: 140 } } })
    .png()
    .toFile(flat);
  const tiny = path.join(dir, 'tiny.png');
  await sharp({ create: { width: 1, height: 1, channels: 3, background: { r: 0, g: 0, b: 0 } } })
    .png()
    .toFile(tiny);
  const huge = path.join(dir, 'huge.png');
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(60000, 0);
  ihdr.writeUInt32BE(60000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const chunk = (t: string, d: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(d.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([Buffer.from(t), d])));
    return Buffer.concat([len, Buffer.from(t), d, crc]);
  };
  fs.writeFileSync(
    huge,
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', zlib.deflateSync(Buffer.alloc(64))),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
  const text = path.join(dir, 'text.jpg');
  fs.writeFileSync(text, 'not a picture');
  const issues = new Issues({ warn: () => undefined });
  const rss = process.memoryUsage().rss;
  const r = await detectFaces([flat, tiny, huge, text], { issues });
  expect(r[0]!.faces).toEqual([]);
  expect(r[1]!.faces).toEqual([]);
  expect(r[2]).toBeNull();
  expect(r[3]).toBeNull();
  expect(issues.count()).toBe(2);
  expect(issues.summary()).toMatch(/pixel limit/);
  expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 2 ** 20);
  await expect(detectFaces([huge], { issues: new Issues({ strict: true }) })).rejects.toThrow(/pixel limit/);
});

test('a 10000x10000 photo is downscaled before detection: bounded memory, coordinates in its pixels', async () => {
  const dir = tmpDir('detect');
  const big = path.join(dir, 'big.jpg');
  // A real face pasted into a 10000 x 10000 grey picture.
  const face = await sharp(wild('obama1.jpg')).resize(2000).toBuffer();
  await sharp({ create: { width: 10000, height: 10000, channels: 3, background: { r: 110, g: 110, b: 110 } } })
    .composite([{ input: face, left: 6000, top: 3000 }])
    .jpeg()
    .toFile(big);
  const before = process.memoryUsage().rss;
  const [r] = await detectFaces([big]);
  expect(r!.width).toBe(10000);
  expect(r!.faces).toHaveLength(1);
  const [x, y] = r!.faces[0].box;
  expect(x).toBeGreaterThan(6000);
  expect(y).toBeGreaterThan(3000);
  // The 1600 px copy is what is detected: far less than the 300 MB of the decoded photo stays.
  expect(process.memoryUsage().rss - before).toBeLessThan(400 * 2 ** 20);
});

test('a missing or damaged landmark model is a clear error; the right one still works after', async () => {
  const dir = tmpDir('detect');
  const face = [wild('obama1.jpg')];
  await expect(detectFaces(face, { landmarksModel: path.join(dir, 'nope.dat') })).rejects.toThrow(
    /nope\.dat: cannot open the landmark model/,
  );
  const bad = path.join(dir, 'bad.dat');
  fs.writeFileSync(bad, Buffer.alloc(4096, 7));
  await expect(detectFaces(face, { landmarksModel: bad })).rejects.toThrow(/bad\.dat: not a dlib shape predictor/);
  expect((await detectFaces(face))[0]!.faces).toHaveLength(1);
  // Without landmarks no model is read.
  const plain = await detectFaces(face, { landmarks: false, landmarksModel: bad });
  expect(plain[0]!.faces[0].points).toBeUndefined();
  await expect(detectFaces(face, { maxSide: 10 })).rejects.toThrow(RangeError);
  await expect(native().detectFaces([{ data: new Uint8Array(10), width: 5, height: 5 }])).rejects.toThrow(
    /10 bytes, 5x5x3 needs 75/,
  );
});

test('vgg2-torch detect: --json and --draw on a folder', () => {
  const dir = tmpDir('detect-cli');
  const out = path.join(dir, 'drawn');
  const r = spawnSync(
    process.execPath,
    [
      path.join(repoRoot, 'bin', 'vgg2-torch.js'),
      'detect',
      path.join(dataDir, 'wild_identities', 'knn_examples', 'test'),
      '--json',
      '-',
      '--draw',
      out,
    ],
    { encoding: 'utf8' },
  );
  expect(r.status).toBe(0);
  const json = JSON.parse(r.stdout) as { path: string; faces: { box: number[]; points: number[] }[] }[];
  expect(json.length).toBeGreaterThanOrEqual(4);
  expect(json.find((x) => x.path.endsWith('kit_with_rose.jpg'))!.faces).toHaveLength(2);
  expect(fs.readdirSync(out).filter((f) => f.endsWith('.faces.jpg'))).toHaveLength(json.length);
  expect(r.stderr).toMatch(/with a face/);
  const bad = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'bin', 'vgg2-torch.js'), 'detect', '--upsample', '9', 'x.jpg'],
    {
      encoding: 'utf8',
    },
  );
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/--upsample: 0 to 3/);
});
