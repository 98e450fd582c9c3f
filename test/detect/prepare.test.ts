/** `prepare --detect`: faces found once, written as the folder's boxes.csv / landmarks.csv, then the cache. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { openDataset } from '../../lib/data/dataset';
import { Issues } from '../../lib/data/issues';
import { dataDir, removeTmpDirs, repoRoot, tmpDir } from '../helpers/paths';

jest.setTimeout(180_000);
afterAll(removeTmpDirs);

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'vgg2-torch.js'), ...args], { encoding: 'utf8' });

test('detect, write the CSVs in VGGFace2 columns, prepare an aligned cache; a second --detect is refused', () => {
  const root = path.join(tmpDir('prepare-detect'), 'people');
  const train = path.join(dataDir, 'wild_identities', 'knn_examples', 'train');
  for (const person of ['obama', 'biden']) {
    fs.mkdirSync(path.join(root, person), { recursive: true });
    for (const f of fs.readdirSync(path.join(train, person)))
      fs.copyFileSync(path.join(train, person, f), path.join(root, person, f));
  }
  const out = path.join(path.dirname(root), 'cache.lmdb');
  const r = cli('prepare', '--data', root, '--detect', '--crop', 'align', '--size', '112', '--out', out);
  expect(r.status).toBe(0);
  expect(r.stderr).toMatch(/faces in 4 of 4 photos/);
  const boxes = fs.readFileSync(path.join(root, 'boxes.csv'), 'utf8').trim().split('\n');
  const marks = fs.readFileSync(path.join(root, 'landmarks.csv'), 'utf8').trim().split('\n');
  expect(boxes[0]).toBe('NAME_ID,X,Y,W,H');
  expect(marks[0]).toBe('NAME_ID,P1X,P1Y,P2X,P2Y,P3X,P3Y,P4X,P4Y,P5X,P5Y');
  expect(boxes).toHaveLength(5);
  expect(marks[1]).toMatch(/^"biden\/biden(2)?",(-?[\d.]+,){9}-?[\d.]+$/);
  // The folder now reads its faces like official metadata.
  const ds = openDataset({ data: root, issues: new Issues() });
  expect(ds.source(0).landmarks).toHaveLength(10);
  expect(ds.source(0).box).toBeDefined();
  expect(r.stderr).toMatch(/4 written/);
  const again = cli('prepare', '--data', root, '--detect', '--out', out + '2');
  expect(again.status).toBe(1);
  expect(again.stderr).toMatch(/boxes\.csv exists/);
});
