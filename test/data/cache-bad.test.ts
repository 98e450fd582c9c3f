/**
 * Bad caches (issue 17.1, 17.9, 17.10): every opener validates the LMDB file before mapping it, so
 * a truncated, zero-byte or foreign file is a one-line error, never SIGBUS/SIGSEGV; corrupt records
 * are counted skips naming their key and source; check-data checks the records themselves.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { open } from 'lmdb';
import { CacheDataset, checkCacheFile, prepareCache } from '../../lib/data/cache';
import { DataError, Issues } from '../../lib/data/issues';
import { Loader } from '../../lib/data/loader';
import { ImageFolderDataset } from '../../lib/data/image-folder';
import { Model } from '../../lib/model';
import { tmpDir, writeImage } from './helpers';

const BIN = path.resolve(__dirname, '../../bin/vgg2-torch.js');

function run(args: string[]): { status: number | null; signal: string | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, signal: r.signal, stderr: r.stderr };
}

/** The error line of a failed command (the last `error:` line). */
function errorLine(stderr: string): string {
  return (
    stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('error:'))
      .pop() ?? stderr
  );
}

let src: string;
let good: string;
let weights: string;

beforeAll(async () => {
  src = tmpDir('cache-bad-src');
  for (let c = 0; c < 3; c++)
    for (let k = 0; k < 4; k++) await writeImage(path.join(src, `id${c}`, `${k}.jpg`), 40, 36, 'jpeg', 4 * c + k);
  good = path.join(tmpDir('cache-bad'), 'good.lmdb');
  const ds = new ImageFolderDataset({ root: src });
  await prepareCache({ dataset: ds, dataPath: src, out: good, crop: 'none', size: 32, encoding: 'jpeg' });
  // eval loads its weights before the data: a real (untrained) model gets it to the cache.
  weights = path.join(path.dirname(good), 'w.safetensors');
  const model = await Model.create({ numClasses: 3, inputSize: 32 });
  await model.save(weights);
  model.dispose();
}, 60_000);

describe('17.1: a bad cache file is a clean error in every command that opens one', () => {
  /** Each bad cache, built from the good one, and the words its error must contain. */
  const kinds: [string, (dir: string) => string, RegExp][] = [
    [
      'truncated to one page',
      (d) => cut(d, 'one.lmdb', 4096),
      /one\.lmdb: truncated: 4096 bytes, shorter than its two 4096-byte meta pages/,
    ],
    [
      'truncated mid-file',
      (d) => cut(d, 'half.lmdb', Math.floor(fs.statSync(good).size / 2)),
      /half\.lmdb: truncated: \d+ bytes, shorter than its last page needs/,
    ],
    [
      'zero bytes',
      (d) => write(d, 'zero.lmdb', Buffer.alloc(0)),
      /zero\.lmdb: zero-byte file, not a finished LMDB cache/,
    ],
    [
      'garbage',
      (d) => write(d, 'garbage.lmdb', Buffer.alloc(50_000, 0x5a)),
      /garbage\.lmdb: not an LMDB file \(no LMDB magic 0xBEEFC0DE/,
    ],
    ['a text file', (d) => write(d, 'notes.txt', Buffer.from('hello\n')), /notes\.txt: not an LMDB file/],
    [
      'a folder with a truncated data.mdb',
      (d) => {
        fs.mkdirSync(path.join(d, 'dir'));
        cut(path.join(d, 'dir'), 'data.mdb', 8192);
        return path.join(d, 'dir');
      },
      /dir\/data\.mdb: truncated/,
    ],
  ];
  function write(dir: string, name: string, b: Buffer): string {
    fs.writeFileSync(path.join(dir, name), b);
    return path.join(dir, name);
  }
  function cut(dir: string, name: string, n: number): string {
    return write(dir, name, fs.readFileSync(good).subarray(0, n));
  }

  test.each(kinds)('%s', (_, make, expected) => {
    const dir = tmpDir('cache-bad');
    const bad = make(dir);
    const before = fs.readFileSync(fs.statSync(bad).isDirectory() ? path.join(bad, 'data.mdb') : bad);
    const commands: string[][] = [['check-data', '--data', bad]];
    // Every opener goes through checkCacheFile: all of them for the two kinds that crashed most
    // (SIGBUS, SIGSEGV), check-data and prepare for the rest (keeps the file fast on 2 cores).
    if (/half|zero|one/.test(bad))
      commands.push(
        ['bench', 'loader', '--cache', bad, '--size', '32', '--batch', '2', '--batches', '1'],
        ['train', '--cache', bad, '--out', path.join(dir, 'run'), '--epochs', '1', '--batch-size', '2'],
        ['eval', '--protocol', 'classify', '--data', bad, '--weights', weights],
      );
    // prepare resuming into it: refused (a zero-byte file is the exception: LMDB starts it afresh).
    if (!/zero/.test(bad)) commands.push(['prepare', '--data', src, '--out', bad, '--crop', 'none', '--size', '32']);
    for (const args of commands) {
      const r = run(args);
      expect({ args, signal: r.signal, error: errorLine(r.stderr) }).toMatchObject({ signal: null });
      expect(r.status).toBe(1);
      expect(errorLine(r.stderr)).toMatch(expected);
      expect(errorLine(r.stderr).split('\n')).toHaveLength(1);
    }
    // Nothing was written over the bad file.
    const after = fs.readFileSync(fs.statSync(bad).isDirectory() ? path.join(bad, 'data.mdb') : bad);
    expect(after.equals(before)).toBe(true);
  });

  test('damage inside the file (a B-tree page overwritten) is found before mapping, never a fault', () => {
    const bytes = fs.readFileSync(good);
    const psize = 4096;
    const dir = tmpDir('cache-bad');
    const damaged: string[] = [];
    const passed: string[] = [];
    for (let p = 2; p < bytes.length / psize; p++) {
      const flags = bytes.readUInt16LE(p * psize + 18);
      if (!(flags & 3)) continue; // branch and leaf pages (overflow pages hold the records: 17.9)
      for (const fill of [0xff, 0x41]) {
        const copy = Buffer.from(bytes);
        copy.fill(fill, p * psize + 24, (p + 1) * psize);
        const file = path.join(dir, `p${p}-${fill}.lmdb`);
        fs.writeFileSync(file, copy);
        try {
          checkCacheFile(file);
          passed.push(file); // a page no tree reaches any more (an older transaction's)
        } catch (e) {
          expect((e as Error).message).toMatch(
            /p\d+-\d+\.lmdb: damaged inside: page \d+.*; delete it and run prepare again/,
          );
          damaged.push(file);
        }
      }
    }
    expect(damaged.length).toBeGreaterThanOrEqual(4);
    // What passes the walk opens and reads without a fault (in a child: a fault must not kill jest).
    for (const file of [...passed.slice(0, 3)]) {
      const r = run(['check-data', '--data', file]);
      expect({ file, signal: r.signal }).toEqual({ file, signal: null });
    }
    // One the walk refused (not a -lock file the checks above left beside the copies).
    const r = run(['bench', 'loader', '--cache', damaged[0], '--size', '32', '--batch', '2', '--batches', '1']);
    expect(r.status).toBe(1);
    expect(errorLine(r.stderr)).toMatch(/damaged inside: page \d+/);
  });

  test('a folder without data.mdb given as --cache is not taken for an image folder', () => {
    const dir = tmpDir('cache-bad');
    const r = run(['bench', 'loader', '--cache', dir, '--size', '32', '--batch', '2', '--batches', '1']);
    expect(r.status).toBe(1);
    expect(errorLine(r.stderr)).toContain(`${dir}: a folder without data.mdb, not a cache made by vgg2-torch prepare`);
    const t = run(['train', '--cache', src, '--out', path.join(dir, 'run'), '--epochs', '1']);
    expect(t.status).toBe(1);
    expect(errorLine(t.stderr)).toContain(`${src}: a folder without data.mdb`);
  });

  test('prepare --out: a foreign file or a non-empty folder is refused and left as it was; a folder cache works', () => {
    const dir = tmpDir('cache-bad');
    const notes = path.join(dir, 'notes.txt');
    fs.writeFileSync(notes, 'my notes\n');
    const r = run(['prepare', '--data', src, '--out', notes, '--crop', 'none', '--size', '32']);
    expect(r.status).toBe(1);
    expect(errorLine(r.stderr)).toMatch(/notes\.txt: not an LMDB file .*; refusing to write a cache there/);
    expect(fs.readFileSync(notes, 'utf8')).toBe('my notes\n');
    const r2 = run(['prepare', '--data', src, '--out', src, '--crop', 'none', '--size', '32']);
    expect(errorLine(r2.stderr)).toContain(`${src}: a folder without data.mdb, refusing to write a cache there`);
    expect(fs.readdirSync(src).sort()).toEqual(['id0', 'id1', 'id2']);
    // A name without an extension is a folder cache (lmdb-js's layout): made, then read back.
    const folder = path.join(dir, 'cachedir');
    expect(run(['prepare', '--data', src, '--out', folder, '--crop', 'none', '--size', '32']).status).toBe(0);
    const c = run(['check-data', '--data', folder]);
    expect(c.stderr).toContain('check-data: no problems found');
    expect(c.status).toBe(0);
  });

  test('prepare resuming on a truncated cache refuses and keeps it; the good cache still opens', () => {
    const dir = tmpDir('cache-bad');
    const copy = path.join(dir, 'c.lmdb');
    fs.copyFileSync(good, copy);
    fs.truncateSync(copy, fs.statSync(good).size - 4096);
    const size = fs.statSync(copy).size;
    const r = run(['prepare', '--data', src, '--out', copy, '--crop', 'none', '--size', '32']);
    expect(r.status).toBe(1);
    expect(errorLine(r.stderr)).toMatch(/c\.lmdb: truncated/);
    expect(fs.statSync(copy).size).toBe(size);
    expect(run(['check-data', '--data', good]).status).toBe(0);
  });
});

/** A copy of the good cache with some records replaced (key → bytes) through LMDB itself. */
async function damaged(records: Record<number, Buffer>, labels?: Int32Array): Promise<string> {
  const file = path.join(tmpDir('cache-bad'), 'd.lmdb');
  fs.copyFileSync(good, file);
  const env = open({ path: file, maxDbs: 4, compression: false });
  const images = env.openDB<Buffer, number>({ name: 'images', encoding: 'binary', keyEncoding: 'uint32' });
  const info = env.openDB<unknown, number | string>({ name: 'info' });
  for (const [k, v] of Object.entries(records)) await images.put(Number(k), v);
  if (labels) await info.put('labels', Buffer.from(labels.buffer));
  await env.close();
  return file;
}

/** A record header (format JPEG, 3 channels, w × h) over any body. */
function jpegRecord(body: Buffer, w = 32, h = 36): Buffer {
  const head = Buffer.from([2, 3, 0, 0, 0, 0]);
  head.writeUInt16LE(w, 2);
  head.writeUInt16LE(h, 4);
  return Buffer.concat([head, body]);
}

async function loadAll(file: string, issues: Issues, decoder?: 'native' | 'sharp'): Promise<number> {
  const ds = new CacheDataset(file, issues);
  const loader = new Loader(ds, { crop: 'none', size: 32, batchSize: 4, train: false, epochs: 1, issues, decoder });
  let n = 0;
  try {
    for await (const b of loader) {
      n += b.n;
      loader.release(b);
    }
  } finally {
    await loader.close();
    await ds.close();
  }
  return n;
}

describe('17.9: a corrupt record inside a cache is a counted skip naming its key and source', () => {
  const srcOf = (key: number) => path.join(src, new ImageFolderDataset({ root: src }).relPath(key));

  test.each(['native', 'sharp'] as const)('corrupt JPEG body (%s decoder); --strict fails on it', async (decoder) => {
    const real = fs.readFileSync(path.join(src, 'id0', '0.jpg'));
    // Key 5: a JPEG cut in half (its header intact); key 9: garbage after the start marker.
    const file = await damaged({
      5: jpegRecord(real.subarray(0, 200)),
      9: jpegRecord(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(300, 7)])),
    });
    const warnings: string[] = [];
    const issues = new Issues({ warn: (m) => warnings.push(m), examples: 5 });
    expect(await loadAll(file, issues, decoder)).toBe(10);
    expect(issues.count('corrupt-image')).toBe(2);
    expect(issues.count()).toBe(2);
    const ex = issues.examplesOf('corrupt-image').join('\n');
    expect(ex).toContain(`${file} record 5 (source ${srcOf(5)})`);
    expect(ex).toContain(`${file} record 9 (source ${srcOf(9)})`);
    expect(warnings[0]).toMatch(/^corrupt or truncated image: .*d\.lmdb record \d \(source /);
    const strict = new Issues({ strict: true });
    const err = await loadAll(file, strict, decoder).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(
      /^corrupt or truncated image: .*d\.lmdb record [59] \(source .*id[12]\/[0-3]\.jpg\)/,
    );
  });

  test('bad header, raw size and out-of-range labels are bad-record skips (the native decoder never sees them)', async () => {
    const raw = Buffer.from([1, 3, 0, 0, 0, 0, 1, 2, 3]); // raw 0×0 header over 3 bytes
    const bigRaw = Buffer.alloc(6 + 10);
    bigRaw[0] = 1;
    bigRaw[1] = 3;
    bigRaw.writeUInt16LE(1000, 2); // claims 1000×1000 raw pixels in 10 bytes
    bigRaw.writeUInt16LE(1000, 4);
    const labels = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    labels[11] = 99;
    const file = await damaged(
      { 1: Buffer.from([9, 3]), 2: raw, 3: bigRaw, 7: jpegRecord(Buffer.from('not a jpeg')) },
      labels,
    );
    for (const decoder of ['native', 'sharp'] as const) {
      const issues = new Issues({ warn: () => undefined, examples: 10 });
      expect(await loadAll(file, issues, decoder)).toBe(7);
      expect(issues.count('bad-record')).toBe(5);
      const ex = issues.examplesOf('bad-record').join('\n');
      expect(ex).toContain('record 1 (source');
      expect(ex).toContain('2-byte record, shorter than its 6-byte header');
      expect(ex).toContain('record 2 (source');
      expect(ex).toContain('raw 1000×1000 image needs 3000000 bytes, the record holds 10');
      expect(ex).toContain('record 7 (source');
      expect(ex).toContain('JPEG record without a JPEG start marker');
      expect(ex).toContain(`record 11 (source ${srcOf(11)}): label 99 outside 0..2`);
    }
  });

  test('train --cache: skips and counts it; --strict-data stops naming the record', () => {
    return damaged({ 4: jpegRecord(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5])) }).then((file) => {
      const dir = tmpDir('cache-bad');
      const args = ['train', '--cache', file, '--epochs', '1', '--batch-size', '4', '--holdout-per-class', '0'];
      const ok = run([...args, '--out', path.join(dir, 'a')]);
      expect(ok.status).toBe(0);
      expect(ok.stderr).toMatch(/corrupt or truncated image: .*d\.lmdb record 4 \(source .*id1\/0\.jpg\)/);
      const strict = run([...args, '--out', path.join(dir, 'b'), '--strict-data']);
      expect(strict.status).toBe(1);
      expect(errorLine(strict.stderr)).toMatch(
        /corrupt or truncated image: .*d\.lmdb record 4 \(source .*id1\/0\.jpg\)/,
      );
    });
  }, 120_000);
});

describe('17.10: check-data on a cache', () => {
  /** A minimal VGGFace2 layout: meta/identity_meta.csv, meta/train_list.txt, train/<id>/<img>. */
  async function vggRoot(): Promise<string> {
    const root = tmpDir('cache-bad-vgg');
    fs.mkdirSync(path.join(root, 'meta'));
    fs.writeFileSync(
      path.join(root, 'meta/identity_meta.csv'),
      'Class_ID, Name, Sample_Num, Flag, Gender\nn000001, "A", 3, 1, m\nn000002, "B", 3, 1, f\n',
    );
    const list: string[] = [];
    for (const id of ['n000001', 'n000002'])
      for (let k = 1; k <= 3; k++) {
        list.push(`${id}/000${k}_01.jpg`);
        await writeImage(path.join(root, 'train', list[list.length - 1]), 40, 44, 'jpeg', list.length);
      }
    fs.writeFileSync(path.join(root, 'meta/train_list.txt'), list.join('\n') + '\n');
    return root;
  }

  test('VGGFace2-layout cache: sources found under train/ (new and older caches); records checked and counted', async () => {
    const root = await vggRoot();
    const cache = path.join(tmpDir('cache-bad'), 'v.lmdb');
    expect(run(['prepare', '--data', root, '--out', cache, '--crop', 'none', '--size', '32']).status).toBe(0);
    const ok = run(['check-data', '--data', cache]);
    expect(ok.stderr).toContain('check-data: 6 cache records, 6 images, 0 archives checked');
    expect(ok.stderr).toContain('check-data: no problems found');
    expect(ok.status).toBe(0);

    // A cache made before the images root was recorded: found from its description.
    const env = open({ path: cache, maxDbs: 4, compression: false });
    const info = env.openDB<unknown, number | string>({ name: 'info' });
    const meta = info.get('meta') as { source: { images?: string } };
    delete meta.source.images;
    await info.put('meta', meta);
    const images = env.openDB<Buffer, number>({ name: 'images', encoding: 'binary', keyEncoding: 'uint32' });
    // Key 2: a JPEG cut short; key 4: a header saying raw 1000×1000 over 10 bytes.
    const rec2 = images.get(2)!;
    await images.put(2, rec2.subarray(0, Math.floor(rec2.length * 0.6)));
    const bad = Buffer.alloc(16);
    bad[0] = 1;
    bad[1] = 3;
    bad.writeUInt16LE(1000, 2);
    bad.writeUInt16LE(1000, 4);
    await images.put(4, bad);
    await info.put('labels', Buffer.from(Int32Array.from([0, 0, 0, 1, 1, 7]).buffer)); // key 5: label 7 of 2
    await env.close();
    const r = run(['check-data', '--data', cache]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('check-data: 5 cache records, 5 images, 0 archives checked');
    expect(r.stderr).not.toContain('listed file missing');
    expect(r.stderr).toContain('check-data found 3 problems:');
    expect(r.stderr).toMatch(
      new RegExp(
        `1 × corrupt or truncated image \\(e\\.g\\. ${cache} record 2 \\(source ${root}/train/n000001/0003_01\\.jpg\\)`,
      ),
    );
    expect(r.stderr).toMatch(
      /2 × unusable cache record .*record 4 \(source .*train\/n000002\/0002_01\.jpg\): raw 1000×1000/,
    );
    expect(r.stderr).toMatch(/record 5 \(source .*train\/n000002\/0003_01\.jpg\): label 7 outside 0\.\.1/);

    // Sources moved away: the records are still checked, and it says the sources were not.
    fs.renameSync(path.join(root, 'train'), path.join(root, 'elsewhere'));
    const moved = run(['check-data', '--data', cache]);
    expect(moved.stderr).toContain('check-data: 5 cache records, 0 images, 0 archives checked');
    expect(moved.stderr).toContain(`check-data: source images not checked: ${root}/train is not on this machine`);
    expect(moved.stderr).toContain('check-data found 3 problems:');
  }, 60_000);
});

describe('17.1: damaged metadata inside a well-formed LMDB', () => {
  test.each([
    [
      'meta a number',
      'meta',
      42,
      /d\.lmdb: damaged cache metadata \(not as prepare writes it\); delete it and run prepare again/,
    ],
    ['meta without settings', 'meta', { version: 1, complete: true }, /d\.lmdb: damaged cache metadata/],
    ['index a string', 'index', 'oops', /d\.lmdb: damaged cache \(its index of records is missing or inconsistent\)/],
  ])('%s: check-data and prepare resume refuse it in one line', async (_, key, value, expected) => {
    const file = await damaged({});
    const env = open({ path: file, maxDbs: 4, compression: false });
    await env.openDB<unknown, string>({ name: 'info' }).put(key, value);
    await env.close();
    const before = fs.readFileSync(file);
    const c = run(['check-data', '--data', file]);
    expect(c.status).toBe(1);
    expect(errorLine(c.stderr)).toMatch(expected);
    if (key === 'meta') {
      const p = run(['prepare', '--data', src, '--out', file, '--crop', 'none', '--size', '32']);
      expect(p.status).toBe(1);
      expect(errorLine(p.stderr)).toMatch(expected);
      expect(fs.readFileSync(file).equals(before)).toBe(true);
    }
  });
});

test("17.1: prepare --out another program's LMDB file refuses to write into it", async () => {
  const file = path.join(tmpDir('cache-bad'), 'other.mdb');
  const env = open({ path: file });
  await env.put('their-key', 'their value');
  await env.close();
  const r = run(['prepare', '--data', src, '--out', file, '--crop', 'none', '--size', '32']);
  expect(r.status).toBe(1);
  expect(errorLine(r.stderr)).toMatch(
    /other\.mdb: an LMDB file that is not a vgg2-torch cache \(no metadata\); refusing to write into it/,
  );
  const again = open({ path: file, readOnly: true });
  expect(again.get('their-key')).toBe('their value');
  expect([...again.getKeys()]).toEqual(['their-key']);
  await again.close();
});
