import * as fs from 'fs';
import * as path from 'path';
import { DataError, Issues } from '../../lib/data/issues';
import { Loader } from '../../lib/data/loader';
import { loadBase } from '../../lib/data/transform';
import { VggFace2Dataset } from '../../lib/data/vggface2';
import { collectWarnings, tmpDir, writeImage } from './helpers';

/** A VGGFace2-layout root where almost every kind of bad input appears once (or twice). */
async function badRoot(): Promise<string> {
  const root = tmpDir('bad');
  const img = (rel: string) => path.join(root, 'train', rel);
  fs.mkdirSync(path.join(root, 'meta'), { recursive: true });
  fs.mkdirSync(path.join(root, 'bb_landmark'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'meta/identity_meta.csv'),
    [
      'Class_ID, Name, Sample_Num, Flag, Gender',
      'n000001, "Smith, John", 9, 1, m',
      'n000002, "O""Brien", 3, 1, f',
      'n000003, "Broken, 1, 1, m',
      'n000004, "Test_Person", 1, 0, f',
    ].join('\n') + '\n',
  );
  for (const r of [
    'n000001/good1.jpg',
    'n000001/good2.jpg',
    'n000001/partly.jpg',
    'n000001/outside.jpg',
    'n000002/good3.jpg',
    'n000002/nanlm.jpg',
  ])
    await writeImage(img(r), 64, 48, 'jpeg');
  const real = fs.readFileSync(img('n000001/good1.jpg'));
  fs.writeFileSync(img('n000001/trunc.jpg'), real.subarray(0, Math.floor(real.length / 2)));
  fs.writeFileSync(img('n000001/zero.jpg'), '');
  fs.writeFileSync(img('n000001/text.jpg'), 'hello, I am not a JPEG');
  fs.writeFileSync(
    img('n000002/garbage.jpg'),
    Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 7)]),
  );
  await writeImage(path.join(root, 'secret.jpg'), 8, 8, 'jpeg');
  fs.writeFileSync(
    path.join(root, 'meta/train_list.txt'),
    [
      'n000001/good1.jpg',
      'n000001/good2.jpg',
      'n000001/missing.jpg',
      'n000001/zero.jpg',
      'n000001/text.jpg',
      'n000001/trunc.jpg',
      'n000001/partly.jpg',
      'n000001/outside.jpg',
      'n000002/good3.jpg',
      'n000002/garbage.jpg',
      'n000002/nanlm.jpg',
      'n000002/../n000001/good1.jpg', // climbs but stays inside: fine
      'n000002/../../secret.jpg', // leaves the images root
      'n999999/who.jpg', // not in the metadata
      'n000004/test-identity.jpg', // a Flag-0 identity in the train list
      'no-slash-here',
    ].join('\r\n') + '\r\n',
  );
  fs.writeFileSync(
    path.join(root, 'bb_landmark/loose_bb_train.csv'),
    [
      'NAME_ID,X,Y,W,H',
      '"n000001/good1",10,8,30,30',
      '"n000001/partly",40,30,40,30',
      '"n000001/outside",200,200,10,10',
      '"n000002/good3",x,1,2,3',
      'n000002/nanlm,10,8,30,30,',
    ].join('\n') + '\n',
  );
  fs.writeFileSync(
    path.join(root, 'bb_landmark/loose_landmark_train.csv'),
    [
      'NAME_ID,P1X,P1Y,P2X,P2Y,P3X,P3Y,P4X,P4Y,P5X,P5Y',
      '"n000002/nanlm",NaN,1,2,3,4,5,6,7,8,9',
      '"n000001/good2",20,20,20,20,20,20,20,20,20,20',
    ].join('\n') + '\n',
  );
  return root;
}

describe('bad input: skipped and counted, one warning per kind; strict fails clearly', () => {
  let root: string;
  beforeAll(async () => {
    root = await badRoot();
  });

  test('index: malformed lines name file and line; unknown identities and outside-root paths are dropped', () => {
    const { warn, messages } = collectWarnings();
    const issues = new Issues({ warn });
    const ds = new VggFace2Dataset({ root, split: 'train', issues });
    // The broken quote line of identity_meta.csv (line 4) and the list line without a slash (16).
    expect(issues.examplesOf('malformed-line').some((m) => m.includes('identity_meta.csv:4'))).toBe(true);
    expect(issues.examplesOf('malformed-line').some((m) => m.includes('train_list.txt:16'))).toBe(true);
    expect(issues.examplesOf('malformed-line').some((m) => m.includes('loose_bb_train.csv:5'))).toBe(true);
    expect(issues.count('unknown-identity')).toBe(2);
    expect(issues.examplesOf('unknown-identity')[1]).toMatch(/n000004 is not a train identity/);
    expect(issues.count('outside-root')).toBe(1);
    expect(issues.count('bad-landmarks')).toBe(2); // NaN, and all points collapsed
    expect(ds.classes).toEqual(['n000001', 'n000002']);
    expect(ds.size).toBe(12);
    // Names with commas and doubled quotes parse.
    expect(ds.identities.map((m) => m.name)).toEqual(['Smith, John', 'O"Brien']);
    // One warning line per kind, however many occurrences.
    const kinds = new Set(messages.map((m) => m.split(':')[0]));
    expect(kinds.size).toBe(messages.length);
    expect(issues.summary()).toMatch(/3 × malformed/);
  });

  test('loader: every bad file skipped with the right kind, labels of the rest exact', async () => {
    const issues = new Issues({ warn: () => undefined });
    const ds = new VggFace2Dataset({ root, split: 'train', issues });
    const loader = new Loader(ds, { crop: 'loose', size: 32, batchSize: 4, train: false, issues });
    const got: { idx: number; label: number }[] = [];
    for await (const b of loader) {
      expect(b.data.length).toBe(4 * 32 * 32 * 3);
      b.indices.forEach((idx, k) => got.push({ idx, label: b.labels[k] }));
      loader.release(b);
    }
    const names = got.map((g) => ds.relPath(g.idx));
    expect(names).toEqual([
      'n000001/good1.jpg',
      'n000001/good2.jpg',
      'n000001/partly.jpg',
      'n000002/good3.jpg',
      'n000002/nanlm.jpg',
      'n000002/../n000001/good1.jpg',
    ]);
    for (const g of got) expect(g.label).toBe(ds.relPath(g.idx).startsWith('n000001') ? 0 : 1);
    expect(issues.count('missing-file')).toBe(1);
    expect(issues.count('empty-file')).toBe(1);
    expect(issues.count('not-image')).toBe(1);
    expect(issues.count('corrupt-image')).toBe(2); // truncated + garbage after a JPEG marker
    expect(issues.count('box-partly-outside')).toBe(1);
    expect(issues.count('box-outside')).toBe(1);
  });

  test('a partly-outside box is clamped; a wholly-outside one refuses the sample', async () => {
    const ds = new VggFace2Dataset({ root, split: 'train', issues: new Issues({ warn: () => undefined }) });
    const partly = ds.source(6);
    expect(partly.box).toEqual({ x: 40, y: 30, w: 40, h: 30 });
    // Extended box: x 34..86 → clamped to 34..64; y 25.5..55.5 → 26..48: 30×22, short side → 36 (size 32).
    const base = await loadBase(partly, { crop: 'loose', size: 32 });
    expect([base.width, base.height]).toEqual([49, 36]);
    await expect(loadBase(ds.source(7), { crop: 'loose', size: 32 })).rejects.toThrow(/wholly outside/);
  });

  test('strict: the first problem is an error naming file and line', () => {
    expect(() => new VggFace2Dataset({ root, split: 'train', issues: new Issues({ strict: true }) })).toThrow(
      /identity_meta\.csv:4/,
    );
  });

  test('strict loader: a missing file is an error, not a silently smaller batch', async () => {
    const issues = new Issues({ warn: () => undefined });
    const ds = new VggFace2Dataset({ root, split: 'train', issues });
    const loader = new Loader(ds, {
      crop: 'loose',
      size: 32,
      batchSize: 4,
      train: false,
      issues: new Issues({ strict: true }),
    });
    const run = async () => {
      for await (const b of loader) loader.release(b);
    };
    // Samples decode concurrently: whichever bad file fails first is named.
    await expect(run()).rejects.toThrow(DataError);
    await expect(run()).rejects.toThrow(
      /^(listed file missing|zero-byte file|not an image|corrupt).*n00000\d\/\w+\.jpg/,
    );
  });
});
