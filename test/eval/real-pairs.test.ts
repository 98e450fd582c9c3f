/**
 * Pair protocols on real images from ../shared/data: CFP folds (complete, absent, partial), an
 * insightface .bin pickled by Python from real JPEGs, and LFW-style 10-fold pairs on ORL faces.
 */
import * as fs from 'fs';
import * as path from 'path';
import { evaluate } from '../../lib/eval/evaluate';
import { unpickle } from '../../lib/eval/pickle';
import { readBin } from '../../lib/eval/protocols/bin';
import { readCfp } from '../../lib/eval/protocols/cfp';
import { Model } from '../../lib/model';
import { describeShared, SHARED, tmpDir } from '../data/helpers';
import { python } from '../helpers/paths';

const SIZE = 32;
const quiet = { size: SIZE, batchSize: 32 };
let model: Model;
let dir: string;

beforeAll(async () => {
  dir = tmpDir('pairs');
  model = await Model.create({ numClasses: 4, seed: 2, inputSize: SIZE });
});
afterAll(() => model?.dispose());

describeShared('CFP', () => {
  const cfp = path.join(SHARED, 'cfp');

  test('folds with images are used, the others skipped and listed', () => {
    const r = readCfp(cfp);
    expect(r.used).toEqual(['01', '02', '10']);
    expect(r.skipped).toEqual(['03', '04', '05', '06', '07', '08', '09']);
    expect(r.pairs.FF).toHaveLength(3 * 700);
    expect(r.pairs.FP).toHaveLength(3 * 700);
    expect(r.pairs.FP[0].b).toMatch(/profile/);
  });

  test('--folds restricts the protocol to the requested folds', () => {
    const r = readCfp(cfp, ['10']);
    expect(r.used).toEqual(['10']);
    expect(r.skipped).toEqual([]);
    expect(r.pairs.FF).toHaveLength(700);
    expect(r.pairs.FP).toHaveLength(700);
    expect(new Set(r.pairs.FF.map((p) => p.fold))).toEqual(new Set([10]));
    // Identities 451–500 only: the ones fold 10 is made of.
    expect(r.pairs.FP.every((p) => /Images\/(4[5-9]\d|500)\//.test(p.a) && /Images\/(4[5-9]\d|500)\//.test(p.b))).toBe(
      true,
    );
    expect(readCfp(cfp, [1, '02']).used).toEqual(['01', '02']);
  });

  test('a requested fold that is unknown or has no images is an error', () => {
    expect(() => readCfp(cfp, ['11'])).toThrow(/CFP fold '11' is not in .*Split\/FF \(folds: 01, 02, .*10\)/);
    expect(() => readCfp(cfp, ['ten'])).toThrow(/CFP fold 'ten' is not in/);
    expect(() => readCfp(cfp, [])).toThrow(/empty list of folds/);
    expect(() => readCfp(cfp, ['10', '03'])).toThrow(/requested CFP fold\(s\) 03 have no images/);
  });

  test('a fold with some images missing is an error naming them', () => {
    const root = path.join(dir, 'cfp');
    fs.mkdirSync(path.join(root, 'Data', 'Images', '001', 'frontal'), { recursive: true });
    fs.symlinkSync(path.join(cfp, 'Protocol'), path.join(root, 'Protocol'));
    for (const id of fs.readdirSync(path.join(cfp, 'Data', 'Images'))) {
      if (id !== '001') fs.symlinkSync(path.join(cfp, 'Data', 'Images', id), path.join(root, 'Data', 'Images', id));
    }
    fs.symlinkSync(
      path.join(cfp, 'Data', 'Images', '001', 'profile'),
      path.join(root, 'Data', 'Images', '001', 'profile'),
    );
    for (const f of fs.readdirSync(path.join(cfp, 'Data', 'Images', '001', 'frontal')).filter((f) => f !== '03.jpg')) {
      fs.symlinkSync(
        path.join(cfp, 'Data', 'Images', '001', 'frontal', f),
        path.join(root, 'Data', 'Images', '001', 'frontal', f),
      );
    }
    expect(() => readCfp(root)).toThrow(
      /CFP fold 01 is incomplete: 1 of its \d+ images are missing, e\.g\. .*001\/frontal\/03\.jpg/,
    );
  });
});

describeShared('insightface .bin', () => {
  // 12 pairs of real CFP faces (6 same, 6 different), pickled by Python as insightface does.
  const makeBin = (file: string, protocol: number) =>
    python([
      '-c',
      `
import pickle, sys, os
root = os.path.join(sys.argv[1], 'cfp', 'Data', 'Images')
img = lambda i, n: open(os.path.join(root, '%03d' % i, 'frontal', '%02d.jpg' % n), 'rb').read()
bins, same = [], []
for k in range(12):
    a = 1 + k
    b = a if k % 2 == 0 else a + 20
    bins += [img(a, 1), img(b, 2)]
    same.append(a == b)
pickle.dump((bins, same), open(sys.argv[2], 'wb'), protocol=${protocol})
`,
      SHARED,
      file,
    ]);

  test('read and evaluated in 10 folds; a pickle with objects is refused', async () => {
    const file = path.join(dir, 'cfp12.bin');
    makeBin(file, 4);
    const bin = readBin(file);
    expect(bin.images).toHaveLength(24);
    expect(bin.issame).toEqual(Array.from({ length: 12 }, (_, k) => k % 2 === 0));
    const jpeg = fs.readFileSync(path.join(SHARED, 'cfp', 'Data', 'Images', '001', 'frontal', '01.jpg'));
    expect(Buffer.from(bin.images[0]).equals(jpeg)).toBe(true);
    const r = await evaluate(model, { protocol: 'bin', data: file, ...quiet });
    expect(r.folds).toHaveLength(10);
    expect(r.metrics.pairs).toBe(12);
    expect(r.metrics.accuracy).toBeGreaterThanOrEqual(0);
    // Python 3's protocol 2 pickles bytes as a call of _codecs.encode: an object, refused.
    const old = path.join(dir, 'p2.bin');
    makeBin(old, 2);
    expect(() => readBin(old)).toThrow(/opcode 0x63 \(GLOBAL\) at byte \d+ is not allowed/);
    fs.writeFileSync(old, Buffer.from('80049505000000000000004b012e', 'hex')); // the int 1
    expect(() => readBin(old)).toThrow(/expected a pickled \(list of encoded images, list of issame flags\)/);
  });

  test('Python 2 style byte strings (SHORT_BINSTRING, BINSTRING) and protocol-0 booleans', () => {
    // (['ab', 'c'], [True]) as Python 2 writes it: ( ] ( U 2 'ab' T <1> 'c' e ] I01 a t .
    const bytes = Buffer.concat([
      Buffer.from('(](U\x02ab', 'latin1'),
      Buffer.from([0x54, 1, 0, 0, 0, 0x63]),
      Buffer.from('e]I01\na', 'latin1'),
      Buffer.from('t.', 'latin1'),
    ]);
    const v = unpickle(bytes, 'py2') as [Uint8Array[], boolean[]];
    expect(v[0].map((b) => Buffer.from(b).toString('latin1'))).toEqual(['ab', 'c']);
    expect(v[1]).toEqual([true]);
    expect(() => unpickle(Buffer.from('(]U\x05ab', 'latin1'), 'cut')).toThrow(/cut: pickle truncated at byte 4/);
  });
});

describeShared('LFW-style pairs on real faces', () => {
  test('10-fold accuracy over a pairs.txt on ORL images laid out as LFW', async () => {
    // LFW layout: <name>/<name>_0001.jpg; ORL PNGs are read by their magic bytes.
    const lfw = path.join(dir, 'lfw');
    const names = ['s1', 's2', 's3', 's4'];
    for (const n of names) {
      fs.mkdirSync(path.join(lfw, n), { recursive: true });
      fs.readdirSync(path.join(SHARED, 'orl', n))
        .sort()
        .forEach((f, k) =>
          fs.copyFileSync(
            path.join(SHARED, 'orl', n, f),
            path.join(lfw, n, `${n}_${String(k + 1).padStart(4, '0')}.jpg`),
          ),
        );
    }
    const lines = ['10\t2'];
    for (let f = 0; f < 10; f++) {
      const a = names[f % 4];
      const b = names[(f + 1) % 4];
      lines.push(
        `${a}\t1\t${2 + (f % 8)}`,
        `${b}\t2\t${3 + (f % 7)}`,
        `${a}\t${1 + f}\t${b}\t${1 + f}`,
        `${b}\t4\t${a}\t5`,
      );
    }
    fs.writeFileSync(path.join(lfw, 'pairs.txt'), lines.join('\n') + '\n');
    const r = await evaluate(model, { protocol: 'pairs', data: lfw, ...quiet });
    expect(r.folds).toHaveLength(10);
    expect(r.folds.every((f) => f.pairs === 4)).toBe(true);
    const mean = r.folds.reduce((a, f) => a + (f.accuracy as number), 0) / 10;
    expect(r.metrics.accuracy).toBeCloseTo(mean, 12);
    fs.rmSync(path.join(lfw, 's3', 's3_0004.jpg'));
    await expect(evaluate(model, { protocol: 'pairs', data: lfw, ...quiet })).rejects.toThrow(
      /pairs\.txt:\d+: .*s3_0004\.jpg/,
    );
  });
});
