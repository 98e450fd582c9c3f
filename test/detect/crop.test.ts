/** `--crop detect`: embed, verify and eval on raw photos, through the same alignment as the data pipeline. */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { ImageListDataset } from '../../lib/eval/image-list';
import { embedDataset } from '../../lib/eval/embed';
import { loadForEval } from '../../lib/eval/load-model';
import { Issues } from '../../lib/data/issues';
import { cli, tinyWeights } from '../eval/helpers';
import { dataDir, removeTmpDirs, tmpDir } from '../helpers/paths';

jest.setTimeout(180_000);
afterAll(removeTmpDirs);

const wild = (f: string) => path.join(dataDir, 'wild_identities', 'knn_examples', 'test', f);
let dir: string;
let weights: string;
let flat: string;

beforeAll(async () => {
  dir = tmpDir('crop-detect');
  weights = await tinyWeights(path.join(dir, 'w.safetensors'));
  flat = path.join(dir, 'wall.png');
  await sharp({ create: { width: 300, height: 300, channels: 3, background: { r: 90, g: 90, b: 90 } } })
    .png()
    .toFile(flat);
});

test('largest face, every face, or the whole photo when there is none; skipped photos counted', async () => {
  const { model } = await loadForEval(weights);
  try {
    const files = [wild('obama1.jpg'), wild('kit_with_rose.jpg'), flat];
    const issues = new Issues({ warn: () => undefined });
    const ds = new ImageListDataset(files, 'raw');
    const e = await embedDataset(model, ds, { crop: 'detect', issues });
    expect(Array.from(e.indices)).toEqual([0, 1]); // the wall has no face: skipped, counted
    expect(issues.count('no-face')).toBe(1);
    const all = await embedDataset(model, ds, {
      crop: 'detect',
      allFaces: true,
      issues: new Issues({ warn: () => undefined }),
    });
    expect(Array.from(all.indices)).toEqual([0, 1, 1]);
    const centre = await embedDataset(model, ds, {
      crop: 'detect',
      noFace: 'center',
      issues: new Issues({ warn: () => undefined }),
    });
    expect(Array.from(centre.indices)).toEqual([0, 1, 2]);
    // Unaligned (whole photo) embeddings differ from the aligned face's.
    const whole = await embedDataset(model, ds, { crop: 'none' });
    let d = 0;
    for (let j = 0; j < e.dim; j++) d += Math.abs(whole.data[j] - e.data[j]);
    expect(d).toBeGreaterThan(1e-3);
  } finally {
    model.dispose();
  }
});

test('verify --crop detect on two raw photos; a photo without a face is an error naming it', async () => {
  const { out } = await cli([
    'verify',
    '--weights',
    weights,
    '--crop',
    'detect',
    wild('obama1.jpg'),
    wild('johnsnow_test1.jpg'),
    '--json',
  ]);
  const r = JSON.parse(out) as { similarity: number };
  expect(r.similarity).toBeGreaterThan(-1);
  expect(r.similarity).toBeLessThanOrEqual(1);
  await expect(cli(['verify', '--weights', weights, '--crop', 'detect', wild('obama1.jpg'), flat])).rejects.toThrow(
    /no face found.*wall\.png/,
  );
  const { out: c } = await cli([
    'verify',
    '--weights',
    weights,
    '--crop',
    'detect',
    '--if-no-face',
    'center',
    wild('obama1.jpg'),
    flat,
    '--json',
  ]);
  expect(JSON.parse(c)).toHaveProperty('similarity');
});

test('eval --protocol verify over wild_pairs/master.csv on the raw photos: a JSON summary with accuracy and AUC', async () => {
  const json = path.join(dir, 'wild.json');
  const pairs = path.join(dataDir, 'wild_pairs', 'master.csv');
  await cli([
    'eval',
    '--weights',
    weights,
    '--protocol',
    'verify',
    '--data',
    path.join(dataDir, 'wild_pairs'),
    '--pairs',
    pairs,
    '--crop',
    'detect',
    '--json',
    json,
  ]);
  const r = JSON.parse(fs.readFileSync(json, 'utf8')) as { metrics: Record<string, number> };
  expect(r.metrics.pairs).toBe(300);
  expect(r.metrics.auc).toBeGreaterThan(0);
  expect(r.metrics.best_accuracy).toBeGreaterThan(0);
});
