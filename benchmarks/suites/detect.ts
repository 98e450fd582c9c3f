/**
 * Face detection on the real photos in ../shared (issue 12's acceptance): the share of
 * single-face photos with a face (wild_pairs, wild_identities), both people in the two-person test
 * photos, 5 points inside their boxes, no face on pictures without a person (synthetic: flat,
 * gradient, noise), eye-centre error against CFP's frontal fiducials, and time per megapixel.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import sharp from 'sharp';
import { detectFaces, largestFace, type ImageFaces } from '../../lib/detect/detect';
import { repoRoot, type Row, type Suite } from '../harness';

const data = path.resolve(repoRoot, '..', 'shared', 'data');

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]))
    .filter((f) => /\.(jpe?g|png|webp)$/i.test(f))
    .sort();
}

function cfpLeftEye(person: string, image: string): [number, number] {
  const file = path.join(data, 'cfp', 'Data', 'Fiducials', person, 'frontal', `${image}.txt`);
  const pts = fs
    .readFileSync(file, 'utf8')
    .trim()
    .split(/\s+/)
    .map((l) => l.split(',').map(Number));
  const eye = pts.slice(12, 18); // points 13-18: the eye on the image's left
  return [eye.reduce((s, p) => s + p[0], 0) / 6, eye.reduce((s, p) => s + p[1], 0) / 6];
}

const inside = (f: { box: number[]; points?: number[] }) =>
  (f.points ?? []).every((v, j) => {
    const m = 0.1 * f.box[2];
    return j % 2 === 0
      ? v >= f.box[0] - m && v <= f.box[0] + f.box[2] + m
      : v >= f.box[1] - m && v <= f.box[1] + f.box[3] + m;
  });

const suite: Suite = {
  name: 'detect',
  describe: 'face detection (dlib HOG + 68 landmarks) on the real photos and CFP fiducials: rates, eye error, ms/MP',
  optIn: true,
  async run({ quick, smoke, log }) {
    const rows: Row[] = [];
    const base = { suite: 'detect', rounds: 1, baseline: 'target' };
    const twoPeople = new Set(['kit_with_rose.jpg', 'obama_and_biden.jpg']);
    const single = [...walk(path.join(data, 'wild_pairs')), ...walk(path.join(data, 'wild_identities'))].filter(
      (f) => !twoPeople.has(path.basename(f)),
    );
    const photos = smoke ? single.slice(0, 6) : single;
    let t0 = performance.now();
    const found = (await detectFaces(photos)).filter((r): r is ImageFaces => r !== null);
    const seconds = (performance.now() - t0) / 1000;
    const megapixels = found.reduce((s, r) => s + (r.width * r.height) / 1e6, 0);
    const withFace = found.filter((r) => r.faces.length > 0).length / found.length;
    const allInside = found.every((r) => r.faces.every(inside));
    log(
      `  ${found.length} single-person photos: ${(withFace * 100).toFixed(1)}% with a face; points inside boxes: ${allInside}`,
    );
    const missed = found.filter((r) => r.faces.length === 0).map((r) => path.relative(data, r.path));
    if (missed.length) log(`  no face found in: ${missed.join(', ')}`);
    const two = await detectFaces(
      [...twoPeople].map((f) => path.join(data, 'wild_identities', 'knn_examples', 'test', f)),
    );
    const twoOk = two.filter((r) => r && r.faces.length >= 2).length;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-detect-bench-'));
    let empty: number;
    try {
      const w = 640;
      const h = 480;
      const noise = Buffer.alloc(w * h * 3);
      for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
      const grad = Buffer.alloc(w * h * 3);
      for (let i = 0; i < grad.length; i++) grad[i] = Math.floor((i / 3) % w) * (255 / w);
      const files = [path.join(dir, 'flat.png'), path.join(dir, 'noise.png'), path.join(dir, 'gradient.png')];
      await sharp({ create: { width: w, height: h, channels: 3, background: { r: 128, g: 128, b: 128 } } })
        .png()
        .toFile(files[0]);
      await sharp(noise, { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toFile(files[1]);
      await sharp(grad, { raw: { width: w, height: h, channels: 3 } })
        .png()
        .toFile(files[2]);
      empty = (await detectFaces(files)).reduce((s, r) => s + (r?.faces.length ?? 0), 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // CFP frontal images against their fiducials (the eye on the image's left is annotated).
    const people = fs.readdirSync(path.join(data, 'cfp', 'Data', 'Images')).sort();
    const perPerson = smoke ? 1 : quick ? 2 : 10;
    const cfp: { file: string; person: string; image: string }[] = [];
    for (const p of smoke ? people.slice(0, 5) : people)
      for (const f of fs
        .readdirSync(path.join(data, 'cfp', 'Data', 'Images', p, 'frontal'))
        .sort()
        .slice(0, perPerson))
        cfp.push({
          file: path.join(data, 'cfp', 'Data', 'Images', p, 'frontal', f),
          person: p,
          image: f.replace(/\.jpg$/, ''),
        });
    t0 = performance.now();
    const cfpFound = await detectFaces(cfp.map((c) => c.file));
    const cfpSeconds = (performance.now() - t0) / 1000;
    const errors = cfpFound.map((r, k) => {
      const f = r && largestFace(r.faces);
      if (!f?.points) return Infinity;
      const truth = cfpLeftEye(cfp[k].person, cfp[k].image);
      const iod = Math.hypot(f.points[2] - f.points[0], f.points[3] - f.points[1]);
      return Math.hypot(f.points[0] - truth[0], f.points[1] - truth[1]) / iod;
    });
    const within = errors.filter((e) => e < 0.1).length / errors.length;
    const sorted = errors.filter(Number.isFinite).sort((a, b) => a - b);
    log(
      `  CFP frontal: ${cfp.length} images, eye within 10% IOD ${(within * 100).toFixed(1)}%, median error ` +
        `${(sorted[sorted.length >> 1] * 100).toFixed(1)}% IOD, ${((cfpSeconds / cfp.length) * 1000).toFixed(0)} ms/image`,
    );
    rows.push(
      {
        ...base,
        config: `single-person photos with a face (${found.length})`,
        unit: '',
        ours: withFace,
        pytorch: 0.95,
        ratio: withFace / 0.95,
        target: 1,
      },
      {
        ...base,
        config: 'two-person test photos with both faces',
        unit: 'photos',
        ours: twoOk,
        pytorch: 2,
        ratio: twoOk / 2,
        target: 1,
      },
      {
        ...base,
        config: '5 points inside their box (all faces)',
        unit: '',
        ours: allInside ? 1 : 0,
        pytorch: 1,
        ratio: allInside ? 1 : 0,
        target: 1,
      },
      {
        ...base,
        config: 'faces found on 3 pictures without a person',
        unit: 'faces',
        ours: empty,
        pytorch: 0,
        ratio: NaN,
      },
      {
        ...base,
        config: `CFP frontal eye centre within 10% IOD (${cfp.length})`,
        unit: '',
        ours: within,
        pytorch: 0.95,
        ratio: within / 0.95,
        target: 1,
      },
      {
        ...base,
        config: 'detection time (upsample 1, max side 1600)',
        unit: 'ms/MP',
        ours: (seconds * 1000) / megapixels,
        pytorch: NaN,
        ratio: NaN,
      },
    );
    return rows;
  },
};

export default suite;
