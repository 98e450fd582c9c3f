/** Issue 17.8/17.11/17.12/17.13 and 18.10: lists and CSVs are read by name, checked, and never silently misread. */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { closedSetSplit, effectiveCrop, openDataset } from '../../lib/data/dataset';
import { ImageFolderDataset } from '../../lib/data/image-folder';
import { DataError, Issues } from '../../lib/data/issues';
import { VggFace2Dataset } from '../../lib/data/vggface2';
import { resolveConfig } from '../../lib/train/config';
import { openTrainData } from '../../lib/train/data';
import { repoRoot } from '../helpers/paths';
import { collectWarnings, tmpDir, writeImage } from './helpers';

const META = 'Class_ID, Name, Sample_Num, Flag, Gender\nn000001, "A", 3, 1, m\nn000002, "B", 3, 1, f\n';

/** A VGGFace2 root with meta files only (no images needed for lists and CSVs). */
function vggRoot(files: Record<string, string | Buffer>): string {
  const root = tmpDir('badlist');
  const all: Record<string, string | Buffer> = {
    'meta/identity_meta.csv': META,
    'meta/train_list.txt': 'n000001/0001_01.jpg\nn000001/0002_01.jpg\nn000002/0001_01.jpg\nn000002/0002_01.jpg\n',
    ...files,
  };
  for (const [rel, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const quiet = (strict = false) => {
  const w = collectWarnings();
  return { issues: new Issues({ strict, warn: w.warn }), messages: w.messages };
};

const cli = (args: string[]) =>
  spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'vgg2-torch.js'), ...args], { encoding: 'utf8' });

describe('17.8: duplicate list lines', () => {
  const list =
    'n000001/0001_01.jpg\nn000001/0002_01.jpg\nn000001/0001_01.jpg\nn000002/0001_01.jpg\nn000002/0002_01.jpg\nn000001/0002_01.jpg\n';
  test('dropped with a count naming file and both lines; an identity seen again later is still checked', () => {
    const root = vggRoot({ 'meta/train_list.txt': list });
    const { issues, messages } = quiet();
    const ds = new VggFace2Dataset({ root, issues });
    expect(ds.size).toBe(4);
    expect(issues.count('duplicate')).toBe(2);
    expect(messages[0]).toMatch(/duplicate entry: .*train_list\.txt:3: n000001\/0001_01\.jpg already listed at line 1/);
    expect(issues.examplesOf('duplicate')[1]).toMatch(
      /train_list\.txt:6: n000001\/0002_01\.jpg already listed at line 2/,
    );
  });
  test('rejected under strict', () => {
    const root = vggRoot({ 'meta/train_list.txt': list });
    expect(() => new VggFace2Dataset({ root, issues: new Issues({ strict: true }) })).toThrow(
      /train_list\.txt:3: n000001\/0001_01\.jpg already listed at line 1/,
    );
  });
  test('a closed-set split never puts one path on both sides, even in a dataset that repeats it', () => {
    const root = vggRoot({ 'meta/train_list.txt': list });
    const ds = new VggFace2Dataset({ root, issues: quiet().issues });
    // A dataset that repeats paths (as the old reader made): every index twice.
    const doubled = {
      ...ds,
      classes: ds.classes,
      size: ds.size * 2,
      labels: Int32Array.from([...ds.labels, ...ds.labels]),
      relPath: (i: number) => ds.relPath(i % ds.size),
      source: (i: number) => ds.source(i % ds.size),
    };
    for (const seed of [0, 1, 2, 3, 4]) {
      const { train, test } = closedSetSplit(doubled, 1, seed);
      const trainPaths = new Set(Array.from({ length: train.size }, (_, i) => train.relPath(i)));
      const testPaths = Array.from({ length: test.size }, (_, i) => test.relPath(i));
      expect(testPaths.length).toBe(4); // 1 path per identity, both copies
      expect(testPaths.filter((p) => trainPaths.has(p))).toEqual([]);
    }
  });
});

describe('17.12: a VGGFace2 root without identity_meta.csv', () => {
  test('is an error naming what is missing and what was found, also from the CLI', async () => {
    const root = vggRoot({ 'bb_landmark/loose_bb_train.csv': 'NAME_ID,X,Y,W,H\n"n000001/0001_01",1,1,5,5\n' });
    fs.rmSync(path.join(root, 'meta', 'identity_meta.csv'));
    await writeImage(path.join(root, 'train', 'n000001', '0001_01.jpg'), 16, 16, 'jpeg');
    await writeImage(path.join(root, 'test', 'n000009', '0001_01.jpg'), 16, 16, 'jpeg');
    expect(() => openDataset({ data: root, issues: quiet().issues })).toThrow(
      /looks like a VGGFace2 root \(found meta\/train_list\.txt, bb_landmark\/loose_bb_train\.csv, train\/n000001\/, test\/n000009\/\) but meta\/identity_meta\.csv is missing/,
    );
    const r = cli(['check-data', '--data', root]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/meta\/identity_meta\.csv is missing/);
  });
  test('an image folder whose people are called train and test is still an image folder', async () => {
    const root = tmpDir('trainfolder');
    await writeImage(path.join(root, 'train', 'a.png'), 8, 8);
    await writeImage(path.join(root, 'test', 'b.png'), 8, 8);
    expect(openDataset({ data: root, issues: quiet().issues }).classes).toEqual(['test', 'train']);
  });
});

describe('17.13: CSVs and lists are read by header name, never silently misread', () => {
  const boxes = (text: string | Buffer) => vggRoot({ 'bb_landmark/loose_bb_train.csv': text });
  const load = (root: string, strict = false) => new VggFace2Dataset({ root, issues: quiet(strict).issues });

  test('columns by name: reordered columns are read right', () => {
    const ds = load(boxes('H,W,NAME_ID,Y,X\n9,8,"n000001/0001_01",2,1\n'));
    expect(ds.annotations.box(0)).toEqual({ x: 1, y: 2, w: 8, h: 9 });
    expect(ds.annotations.boxCount).toBe(1);
  });
  test('a box CSV without a header is an error naming file and line 1', () => {
    expect(() => load(boxes('"n000001/0001_01",1,2,8,9\n"n000001/0002_01",1,2,8,9\n'))).toThrow(
      /loose_bb_train\.csv:1: no header line \(the first line is data: .*expected a header line NAME_ID,X,Y,W,H/,
    );
  });
  test('a header with other names is an error listing the missing columns', () => {
    expect(() => load(boxes('NAME_ID,LEFT,TOP,W,H\n"n000001/0001_01",1,2,8,9\n'))).toThrow(
      /loose_bb_train\.csv:1: header lacks column\(s\) X, Y/,
    );
  });
  test('an empty box CSV (zero bytes or header only) is an error', () => {
    expect(() => load(boxes(''))).toThrow(/loose_bb_train\.csv: empty CSV file \(no header, no rows\)/);
    expect(() => load(boxes('NAME_ID,X,Y,W,H\n'))).toThrow(/loose_bb_train\.csv: no box rows below the header/);
  });
  test('duplicate box rows: counted, the first wins; strict rejects with file and line', () => {
    const text = 'NAME_ID,X,Y,W,H\n"n000001/0001_01",1,2,8,9\n"n000001/0001_01",5,5,5,5\n';
    const root = boxes(text);
    const { issues } = quiet();
    const ds = new VggFace2Dataset({ root, issues });
    expect(ds.annotations.box(0)).toEqual({ x: 1, y: 2, w: 8, h: 9 });
    expect(issues.count('duplicate')).toBe(1);
    expect(() => load(root, true)).toThrow(/loose_bb_train\.csv:3: second box row for n000001\/0001_01/);
  });
  test('a UTF-8 BOM loses neither the header nor the first list line', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const root = vggRoot({
      'meta/identity_meta.csv': Buffer.concat([bom, Buffer.from(META)]),
      'meta/train_list.txt': Buffer.concat([bom, Buffer.from('n000001/0001_01.jpg\nn000002/0001_01.jpg\n')]),
      'bb_landmark/loose_bb_train.csv': Buffer.concat([
        bom,
        Buffer.from('NAME_ID,X,Y,W,H\n"n000001/0001_01",1,2,8,9\n'),
      ]),
    });
    const { issues } = quiet();
    const ds = new VggFace2Dataset({ root, issues });
    expect(ds.size).toBe(2);
    expect(ds.relPath(0)).toBe('n000001/0001_01.jpg');
    expect(ds.annotations.box(0)).toEqual({ x: 1, y: 2, w: 8, h: 9 });
    expect(issues.count()).toBe(0);
  });
  test('an empty train list is an error, and so is one with no usable line', () => {
    expect(() => load(vggRoot({ 'meta/train_list.txt': '\n\n' }))).toThrow(/train_list\.txt: empty list/);
    expect(() => load(vggRoot({ 'meta/train_list.txt': 'n999999/0001_01.jpg\n' }))).toThrow(
      /train_list\.txt: none of its 1 lines is a usable train image \(unknown-identity\)/,
    );
  });
  test('landmark columns by name too', () => {
    const head = 'NAME_ID,P1X,P1Y,P2X,P2Y,P3X,P3Y,P4X,P4Y,P5X,P5Y';
    const root = vggRoot({
      'bb_landmark/loose_landmark_train.csv': `${head}\n"n000001/0001_01",10,10,20,10,15,15,11,20,19,20\n`,
    });
    expect(load(root).annotations.landmarksOf(0)?.[2]).toBe(20);
    const bad = vggRoot({ 'bb_landmark/loose_landmark_train.csv': 'NAME_ID,A,B\n"n000001/0001_01",1,2\n' });
    expect(() => load(bad)).toThrow(/loose_landmark_train\.csv:1: header lacks column\(s\) P1X, P1Y/);
  });
});

describe('17.11: absurd boxes and non-UTF-8 file names', () => {
  test('a box of 1e308 is a counted skip naming file and line (an error under strict)', () => {
    const root = vggRoot({
      'bb_landmark/loose_bb_train.csv': 'NAME_ID,X,Y,W,H\n"n000001/0001_01",1,2,1e308,9\n"n000001/0002_01",1,2,8,9\n',
    });
    const { issues, messages } = quiet();
    const ds = new VggFace2Dataset({ root, issues });
    expect(ds.annotations.box(0)).toBeUndefined();
    expect(ds.annotations.boxCount).toBe(1);
    expect(messages[0]).toMatch(/loose_bb_train\.csv:2: box value beyond ±65535 pixels 1,2,1e308,9/);
    expect(() => new VggFace2Dataset({ root, issues: new Issues({ strict: true }) })).toThrow(DataError);
  });
  test('a file or folder name that is not UTF-8 is skipped and counted, naming the folder', async () => {
    const root = tmpDir('latin1');
    await writeImage(path.join(root, 'alice', 'a.png'), 8, 8);
    await writeImage(path.join(root, 'bob', 'b.png'), 8, 8);
    const bad = Buffer.concat([
      Buffer.from(path.join(root, 'alice') + '/caf'),
      Buffer.from([0xe9]),
      Buffer.from('.png'),
    ]);
    fs.copyFileSync(path.join(root, 'alice', 'a.png'), bad);
    fs.mkdirSync(Buffer.concat([Buffer.from(root + '/Jos'), Buffer.from([0xe9])]));
    const { issues, messages } = quiet();
    const ds = new ImageFolderDataset({ root, issues });
    expect(ds.size).toBe(2);
    expect(ds.classes).toEqual(['alice', 'bob']);
    expect(issues.count('bad-file-name')).toBe(2);
    expect(messages[0]).toMatch(/not valid UTF-8 .*: .*latin1-\w+: entry "Jos\u00e9" \(hex 4a6f73e9\)/);
    expect(() => new ImageFolderDataset({ root, issues: new Issues({ strict: true }) })).toThrow(/not valid UTF-8/);
  });
});

describe('18.10: uncropped photos under crop loose', () => {
  test('no boxes: said once with the count, recorded as crop none; a boxes.csv in the folder is used', async () => {
    const root = tmpDir('uncropped');
    for (const p of ['ann/1.png', 'ann/2.png', 'ben/1.png']) await writeImage(path.join(root, p), 16, 16);
    const ds = openDataset({ data: root, issues: quiet().issues });
    const used = effectiveCrop(ds, 'loose');
    expect(used.crop).toBe('none');
    expect(used.note).toMatch(
      /none of the 3 images has a face box.*recorded as crop "none".*boxes\.csv \(header NAME_ID,X,Y,W,H/,
    );
    expect(effectiveCrop(ds, 'align')).toEqual({ crop: 'align' });
    // What train records in config.json (the resolved face settings), and the note said once.
    const logs: string[] = [];
    const c = resolveConfig({ data: root, holdoutPerClass: 0 });
    const data = await openTrainData(c, quiet().issues, (m) => logs.push(m));
    expect(data.face.crop).toBe('none');
    expect(logs.filter((m) => m.includes('face box'))).toHaveLength(1);

    fs.writeFileSync(path.join(root, 'boxes.csv'), 'NAME_ID,X,Y,W,H\nann/1,1,1,8,8\nben/1,2,2,8,8\n');
    const withBoxes = openDataset({ data: root, issues: quiet().issues });
    const part = effectiveCrop(withBoxes, 'loose');
    expect(part.crop).toBe('loose');
    expect(part.note).toMatch(/crop loose: 1 of 3 images have no face box/);
    fs.writeFileSync(path.join(root, 'boxes.csv'), 'NAME_ID,X,Y,W,H\nann/1,1,1,8,8\nann/2,1,1,8,8\nben/1,2,2,8,8\n');
    expect(effectiveCrop(openDataset({ data: root, issues: quiet().issues }), 'loose')).toEqual({ crop: 'loose' });
  });
});
