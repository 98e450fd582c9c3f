/**
 * Issue 17.14 / 17.11 / 17.15 / 17.7: what eval, embed and verify read by path must be a regular
 * file of a sane size (a directory, FIFO, device or 3 GB file is named as such, fast); output
 * targets are checked before any work and nothing is left behind; malformed metadata JSON names
 * the file and key; non-finite weights never produce a number.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { writeDemoDataset } from '../../lib/data/demo';
import { readImageFile } from '../../lib/data/transform';
import { loadForEval } from '../../lib/eval/load-model';
import { setWeightsMetadata } from '../../lib/eval/threshold';
import { checkInputFile, MAX_IMAGE_BYTES, readTextFile } from '../../lib/io/input-file';
import { checkOutputFile, makeDirs } from '../../lib/io/output-path';
import { tmpDir, writeImage } from '../data/helpers';
import { repoRoot } from '../helpers/paths';
import { cli, nanWeights, tinyWeights } from './helpers';

let dir: string;
let weights: string;
let a: string;
let b: string;
let fifo: string;
let demo: string;

beforeAll(async () => {
  dir = tmpDir('special');
  weights = await tinyWeights(path.join(dir, 'w.safetensors'));
  a = path.join(dir, 'a.png');
  b = path.join(dir, 'b.png');
  await writeImage(a, 40, 40, 'png', 1);
  await writeImage(b, 40, 40, 'png', 2);
  fifo = path.join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  demo = path.join(dir, 'demo');
  await writeDemoDataset({ out: demo, identities: 6, images: 6, size: 40, seed: 2 });
});

const noTmp = (d: string) => fs.readdirSync(d).filter((n) => n.includes('.tmp'));

describe('inputs must be regular files of a sane size', () => {
  test('verify on a directory, a FIFO, /dev/zero and a 3 GB file: one clear error each, at once', async () => {
    const big = path.join(dir, 'big.jpg');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, 3e9); // sparse: no disk used
    const cases: [string, RegExp][] = [
      [dir, /must be a regular file, but it is a directory/],
      [fifo, /must be a regular file, but it is a FIFO/],
      ['/dev/zero', /must be a regular file, but it is a device/],
      [big, /the image is 2861 MiB, over the 256 MiB limit/],
      [path.join(dir, 'nope.png'), /cannot read the image: no such file/],
    ];
    for (const [bad, msg] of cases) {
      const t0 = Date.now();
      const e = await cli(['verify', '--weights', weights, a, bad]).then(
        () => undefined,
        (err: Error) => err,
      );
      expect(e?.message).toMatch(msg);
      expect(e?.message.startsWith(`${bad}:`)).toBe(true);
      expect(e?.message).not.toMatch(/listed file missing/);
      expect(Date.now() - t0).toBeLessThan(2000); // nothing read, nothing loaded
    }
  });

  test('an image list holding a FIFO: counted and skipped (not a hang); the list itself as a FIFO: an error', async () => {
    const list = path.join(dir, 'list.txt');
    fs.writeFileSync(list, 'a.png\npipe\nb.png\n');
    const out = path.join(dir, 'e.npy');
    const r = await cli(['embed', '--weights', weights, '--images', list, '--out', out, '--size', '32']);
    expect(r.err).toMatch(/not a regular file/);
    expect(r.err).toMatch(/embed: 2 of 3 images/);
    await expect(cli(['embed', '--weights', weights, '--images', fifo, '--out', out])).rejects.toThrow(
      `${fifo}: the image list must be a regular file, but it is a FIFO`,
    );
    await expect(
      readImageFile(fifo).catch((e: Error & { kind?: string }) => Promise.reject(new Error(e.kind))),
    ).rejects.toThrow('special-file');
  });

  test('--weights naming a FIFO, a directory or a device: an error, not a hang', async () => {
    for (const [bad, kind] of [
      [fifo, 'a FIFO'],
      [dir, 'a directory'],
      ['/dev/zero', 'a device'],
    ])
      await expect(cli(['verify', '--weights', bad, a, b])).rejects.toThrow(
        `${bad}: the weights file must be a regular file, but it is ${kind}`,
      );
  });

  test('the checks themselves: caps and kinds', () => {
    expect(checkInputFile(a, 'image', MAX_IMAGE_BYTES)).toBe(fs.statSync(a).size);
    expect(() => checkInputFile(a, 'image', 10)).toThrow(/over the 0 MiB limit: is it the right file\?/);
    expect(() => readTextFile('/dev/null', 'pairs list')).toThrow('/dev/null: the pairs list must be a regular file');
  });

  test('verify --boxes: a box of 1e308, a headerless file and a second row: errors naming file:line', async () => {
    const cases: [string, RegExp][] = [
      ['NAME_ID,X,Y,W,H\na,1e308,0,10,10\nb,0,0,10,10\n', /boxes\.csv:2: box value beyond ±65535 pixels/],
      ['a,0,0,10,10\nb,0,0,10,10\n', /boxes\.csv:1: no header line \(the first line is data/],
      ['NAME_ID,X,Y,W,H\na,0,0,10,10\na,1,1,10,10\nb,0,0,10,10\n', /boxes\.csv:3: a second box for a/],
      ['NAME_ID,X,Y,W,H\na,0,0,0,10\nb,0,0,10,10\n', /boxes\.csv:2: empty box/],
    ];
    const boxes = path.join(dir, 'boxes.csv');
    for (const [text, msg] of cases) {
      fs.writeFileSync(boxes, text);
      await expect(cli(['verify', '--weights', weights, '--boxes', boxes, a, b])).rejects.toThrow(msg);
    }
    // Columns by name: a header in another order is read correctly.
    fs.writeFileSync(boxes, 'W,H,NAME_ID,X,Y\n20,20,a,5,5\n30,30,b,0,0\n');
    const r = await cli(['verify', '--weights', weights, '--threshold', '0.5', '--boxes', boxes, a, b]);
    expect(r.out).toMatch(/cosine similarity/);
  });

  test('an eval pairs list that is a directory names it', async () => {
    await expect(
      cli(['eval', '--weights', weights, '--protocol', 'verify', '--data', dir, '--pairs', dir]),
    ).rejects.toThrow(`${dir}: the pairs list must be a regular file, but it is a directory`);
  });
});

describe('output targets are checked before the work, nothing left behind', () => {
  test('eval --json <dir> and --report <dir>: refused before loading anything, no .tmp file', async () => {
    const out = path.join(dir, 'outdir');
    fs.mkdirSync(out);
    for (const flag of ['--json', '--report']) {
      const t0 = Date.now();
      await expect(
        cli(['eval', '--weights', weights, '--protocol', 'identify', '--data', demo, flag, out]),
      ).rejects.toThrow(`${flag} ${out}: is a folder; give a file name`);
      expect(Date.now() - t0).toBeLessThan(1000);
    }
    expect(noTmp(out)).toEqual([]);
    expect(noTmp(dir)).toEqual([]);
  });

  test('--out/--json/--report under /proc or a file: a clear error naming the flag, promptly', () => {
    const t0 = Date.now();
    expect(() => makeDirs('/proc/vgg2-no/such/dir', '--out')).toThrow(
      /^--out \/proc\/vgg2-no\/such\/dir: cannot create/,
    );
    expect(() => checkOutputFile('/proc/vgg2-no/r.html', '--report')).toThrow(/^--report \/proc\/vgg2-no\/r\.html/);
    expect(() => checkOutputFile(path.join(a, 'x.json'), '--json')).toThrow(`${a} is a file, not a folder`);
    // /proc exists (no folder to make) but takes no files: found by the probe, before any work.
    expect(() => checkOutputFile('/proc/vgg2-r.html', '--report')).toThrow(
      /^--report \/proc\/vgg2-r\.html: cannot write there/,
    );
    const ro = path.join(dir, 'ro');
    fs.mkdirSync(ro);
    fs.chmodSync(ro, 0o500);
    try {
      if (process.getuid?.() !== 0)
        expect(() => checkOutputFile(path.join(ro, 'r.json'), '--json')).toThrow(
          /cannot write there: permission denied/,
        );
    } finally {
      fs.chmodSync(ro, 0o700);
    }
    expect(fs.readdirSync(ro)).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1000);
    // Missing folders are made one level at a time.
    const deep = path.join(dir, 'x', 'y', 'z');
    makeDirs(deep, '--out');
    expect(fs.statSync(deep).isDirectory()).toBe(true);
  });

  test('train --out under /proc: the CLI exits at once with an error naming --out (no spinning mkdir)', () => {
    const r = spawnSync(
      process.execPath,
      [
        path.join(repoRoot, 'bin', 'vgg2-torch.js'),
        'train',
        '--data',
        demo,
        '--out',
        '/proc/vgg2-no/run',
        '--epochs',
        '1',
        '--input-size',
        '32',
      ],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.signal).toBeNull(); // not killed by the timeout
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('--out /proc/vgg2-no/run: cannot create /proc/vgg2-no');
  });

  test('embed --out in a folder that cannot be made: refused before embedding', async () => {
    await expect(cli(['embed', '--weights', weights, '--images', a, '--out', path.join(a, 'e.npy')])).rejects.toThrow(
      /^--out .*a\.png is a file, not a folder/,
    );
  });
});

describe('weights that cannot be trusted', () => {
  test('malformed JSON in a metadata key: the error names the file and the key', async () => {
    const bad = path.join(dir, 'badmeta.safetensors');
    fs.copyFileSync(weights, bad);
    setWeightsMetadata(bad, { class_names: '["a", "b"' });
    await expect(loadForEval(bad)).rejects.toThrow(`${bad}: metadata key 'class_names' is not valid JSON`);
    setWeightsMetadata(bad, { class_names: '["a","b","c","d"]', normalization: '{oops' });
    await expect(loadForEval(bad)).rejects.toThrow(`${bad}: metadata key 'normalization' is not valid JSON`);
  });

  test('NaN weights: verify, embed and eval refuse with an error naming the weights file (never 100%)', async () => {
    // 5 classes: the demo's 5 training identities (classify maps classes to identities).
    const five = await tinyWeights(path.join(dir, 'five.safetensors'), 3, 5);
    const nan = nanWeights(five, path.join(dir, 'nan.safetensors'));
    const msg = `${nan}: the model outputs NaN or infinite values`;
    await expect(cli(['verify', '--weights', nan, a, b])).rejects.toThrow(msg);
    const out = path.join(dir, 'nan.npy');
    await expect(cli(['embed', '--weights', nan, '--data', demo, '--out', out, '--size', '32'])).rejects.toThrow(msg);
    expect(fs.existsSync(out)).toBe(false);
    for (const protocol of ['classify', 'identify'])
      await expect(
        cli(['eval', '--weights', nan, '--protocol', protocol, '--data', demo, '--size', '32', '--holdout', '1']),
      ).rejects.toThrow(msg);
  });
});
