/** The gallery: exact search against brute force, templates, persistence, crash safety, refusals. */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Gallery, type GalleryWeights, type SearchResult } from '../../lib/gallery';
import { toBf16 } from '../../lib/gallery/bf16';
import { native } from '../../lib/native';
import { removeTmpDirs, repoRoot, tmpDir } from '../helpers/paths';

jest.setTimeout(120_000);
afterAll(removeTmpDirs);

const W: GalleryWeights = { sha256: 'a'.repeat(64), arch: 'resnet50', inputSize: 112, output: 'features', file: 'w' };

/** Deterministic pseudo-random unit vector number `seed`. */
function unit(seed: number, dim: number): Float32Array {
  const v = new Float32Array(dim);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < dim; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    v[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

const dotp = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);

test('search equals brute force; templates are the re-normalised mean of unit embeddings', async () => {
  const dir = tmpDir('gallery');
  const g = await Gallery.open(dir, { create: true, weights: W });
  const dim = 64;
  const templates = new Map<string, Float32Array>();
  const entries = Array.from({ length: 300 }, (_, i) => {
    const e = [unit(3 * i, dim), unit(3 * i + 1, dim).map((x) => x * 5)];
    const t = e[0].map((x, j) => x + e[1][j] / 5);
    const n = Math.hypot(...t);
    templates.set(
      `id${i}`,
      t.map((x) => x / n),
    );
    return { id: `id${i}`, embeddings: e };
  });
  await g.enrollMany(entries.slice(0, 150));
  for (const e of entries.slice(150, 160)) await g.enroll(e.id, e.embeddings);
  await g.enrollMany(entries.slice(160));
  expect(g.size).toBe(300);
  expect(g.dim).toBe(dim);
  const queries = Array.from({ length: 25 }, (_, i) => unit(10_000 + i, dim));
  const found = await g.search(queries, { k: 5 });
  queries.forEach((q, i) => {
    const brute = [...templates].map(([id, t]) => ({ id, score: dotp(q, t) })).sort((a, b) => b.score - a.score);
    expect(found[i].hits.map((h) => h.id)).toEqual(brute.slice(0, 5).map((h) => h.id));
    found[i].hits.forEach((h, j) => expect(h.score).toBeCloseTo(brute[j].score, 5));
  });
  // The template itself scores 1 against its own identity.
  const self = await g.search(templates.get('id7')!, { k: 1, threshold: 0.99 });
  expect(self.hits[0]).toEqual({ id: 'id7', score: expect.closeTo(1, 5) });
  expect(self.unknown).toBe(false);
  expect((await g.search(unit(99_999, dim), { threshold: 0.99 })).unknown).toBe(true);
  await g.close();
});

test('bf16 search: the fp32 search’s hits and scores; bf16 bits rounded to nearest even', async () => {
  // 1 + 2^-8 is halfway between two bf16 values and goes to the even one; 1 + 3·2^-8 goes up.
  expect(Array.from(toBf16(Float32Array.of(1, 1.00390625, 1.01171875, -2.5)))).toEqual([
    0x3f80, 0x3f80, 0x3f82, 0xc020,
  ]);
  const dim = 128;
  // The addon's product on bf16 rows: bf16 precision (close to fp32's, not equal), same order here.
  const rows = new Float32Array(100 * dim);
  for (let i = 0; i < 100; i++) rows.set(unit(i + 1, dim), i * dim);
  const q = unit(5, dim).map((x, j) => x + 0.3 * unit(999, dim)[j]);
  const [f, h] = [
    await native().gallerySearch(rows, q, { dim, k: 3 }),
    await native().gallerySearch(toBf16(rows), q, { dim, k: 3 }),
  ];
  expect(Array.from(h.indices)).toEqual(Array.from(f.indices));
  h.scores.forEach((s, j) => expect(Math.abs(s - f.scores[j])).toBeLessThan(0.02));
  expect(Array.from(h.scores)).not.toEqual(Array.from(f.scores));
  await expect(native().gallerySearch(new Int16Array(dim) as never, q, { dim, k: 1 })).rejects.toThrow(
    /gallery must be a Float32Array \(fp32\) or a Uint16Array \(bf16 bits\)/,
  );
  const dir = tmpDir('gallery-bf16');
  const g = await Gallery.open(dir, { create: true, weights: W });
  await g.enrollMany(Array.from({ length: 2000 }, (_, i) => ({ id: `p${i}`, embeddings: [unit(7 * i + 1, dim)] })));
  await g.close();
  const [fp32, bf16] = [await Gallery.open(dir), await Gallery.open(dir, { precision: 'bf16' })];
  expect(bf16.precision).toBe('bf16');
  // Queries near enrolled people (as faces are) and far from all of them.
  const queries = Array.from({ length: 40 }, (_, i) =>
    i % 2 ? unit(20_000 + i, dim) : unit(7 * (50 * i) + 1, dim).map((x, j) => x + 0.5 * unit(30_000 + i, dim)[j]),
  );
  const [a, b] = [
    await fp32.search(queries, { k: 5, threshold: 0.5 }),
    await bf16.search(queries, { k: 5, threshold: 0.5 }),
  ];
  queries.forEach((_, i) => {
    expect(b[i].hits.map((h) => h.id)).toEqual(a[i].hits.map((h) => h.id));
    b[i].hits.forEach((h, j) => expect(h.score).toBeCloseTo(a[i].hits[j].score, 5));
    expect(b[i].unknown).toBe(a[i].unknown);
  });
  expect(a.filter((r) => !r.unknown).length).toBe(20);
  // The bf16 copy follows every change: a new person is found, a removed one is gone.
  const newcomer = unit(40_000, dim);
  await bf16.enroll('newcomer', [newcomer]);
  expect(((await bf16.search(newcomer, { k: 1 })) as SearchResult).hits[0]).toMatchObject({ id: 'newcomer' });
  await bf16.remove('newcomer');
  expect(((await bf16.search(newcomer, { k: 1 })) as SearchResult).hits[0].id).not.toBe('newcomer');
  await Promise.all([fp32.close(), bf16.close()]);
  await expect(Gallery.open(dir, { precision: 'int4' as 'bf16' })).rejects.toThrow(
    /precision must be 'fp32' or 'bf16', got 'int4'/,
  );
});

test('replace, remove, reopen, compaction', async () => {
  const dir = tmpDir('gallery');
  const dim = 16;
  let g = await Gallery.open(dir, { create: true, weights: W });
  await g.enrollMany(Array.from({ length: 200 }, (_, i) => ({ id: `p${i}`, embeddings: [unit(i, dim)] })));
  await expect(g.enroll('p3', [unit(500, dim)])).rejects.toThrow(/'p3' is enrolled already/);
  await g.enroll('p3', [unit(500, dim)], { replace: true });
  await expect(g.remove('nobody')).rejects.toThrow(/no identity 'nobody'/);
  for (let i = 100; i < 200; i++) await g.remove(`p${i}`);
  expect(g.size).toBe(100);
  // Enough dead rows: a new generation holds the live ones only.
  const files = fs.readdirSync(dir).filter((f) => f.startsWith('templates-'));
  expect(files).toHaveLength(1);
  expect(fs.statSync(path.join(dir, files[0])).size).toBe(100 * dim * 4);
  await g.close();
  await expect(g.search(unit(1, dim))).rejects.toThrow(/closed/);
  g = await Gallery.open(dir);
  expect(g.size).toBe(100);
  expect(g.ids()).toContain('p3');
  expect(g.ids()).not.toContain('p150');
  const r = await g.search(unit(500, dim), { k: 1 });
  expect(r.hits[0]).toEqual({ id: 'p3', score: expect.closeTo(1, 5) });
  expect((await g.search(unit(42, dim), { k: 1 })).hits[0].id).toBe('p42');
});

test('refusals: no gallery, other weights, bad embeddings, damaged files', async () => {
  const dir = tmpDir('gallery');
  await expect(Gallery.open(dir)).rejects.toThrow(/no gallery here/);
  const g = await Gallery.open(dir, { create: true, weights: W });
  await g.enroll('a', [unit(1, 8)]);
  await expect(g.enroll('b', [unit(1, 9)])).rejects.toThrow(/9 values, the gallery 8/);
  const nan = unit(2, 8);
  nan[3] = NaN;
  await expect(g.enroll('b', [nan])).rejects.toThrow(/not finite at 3/);
  await expect(g.enroll('b', [new Float32Array(8)])).rejects.toThrow(/all zeros/);
  await expect(g.enroll('b', [])).rejects.toThrow(/no embeddings/);
  await expect(g.enroll('', [unit(1, 8)])).rejects.toThrow(/1-256 characters/);
  await expect(g.search(unit(1, 4))).rejects.toThrow(/4 values, the gallery 8/);
  expect(g.size).toBe(1);
  await g.close();
  const other = { ...W, sha256: 'b'.repeat(64), file: 'other.safetensors' };
  await expect(Gallery.open(dir, { weights: other })).rejects.toThrow(/made with weights w .*not weights other/);
  const tfile = path.join(
    dir,
    fs.readdirSync(dir).find((f) => f.startsWith('templates-'))!,
  );
  fs.truncateSync(tfile, 10);
  await expect(Gallery.open(dir)).rejects.toThrow(/10 bytes where the manifest promises 1 rows of 8/);
  fs.writeFileSync(path.join(dir, 'gallery.json'), '{"format": "vgg2');
  await expect(Gallery.open(dir)).rejects.toThrow(/gallery\.json: not a readable gallery manifest/);
});

test('a kill -9 during enrolls leaves a readable gallery whose every template is whole', async () => {
  const dir = tmpDir('gallery-kill');
  const dim = 512;
  const script = path.join(dir, 'enroll.js');
  fs.writeFileSync(
    script,
    `const { Gallery } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'lib', 'gallery'))});
     ${unit.toString()}
     (async () => {
       const g = await Gallery.open(process.argv[2], { create: true, weights: ${JSON.stringify(W)} });
       for (let i = 0; ; i++) {
         await g.enrollMany(Array.from({ length: 20 }, (_, j) => ({ id: 'x' + (i * 20 + j), embeddings: [unit(i * 20 + j, ${dim})] })));
         if (i % 3 === 2) await g.remove('x' + (i * 20 - 5));
         if (i === 2) process.stdout.write('going\\n');
       }
     })();`,
  );
  const gdir = path.join(dir, 'g');
  for (const delay of [50, 170, 330]) {
    const child = spawn(process.execPath, [script, gdir], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const g = await Gallery.open(gdir);
    expect(g.size).toBeGreaterThan(0);
    // Every identity's template is exactly its vector: no torn or shifted rows.
    const ids = g.ids();
    const queries = ids.map((id) => unit(Number(id.slice(1)), dim));
    const found = await g.search(queries, { k: 1 });
    found.forEach((f, i) => {
      expect(f.hits[0].id).toBe(ids[i]);
      expect(f.hits[0].score).toBeCloseTo(1, 5);
    });
    await g.close();
    fs.rmSync(gdir, { recursive: true });
  }
});

test("a tuning copy left by a process killed while tuning is removed on open; a live process's stays", async () => {
  const dir = tmpDir('gallery-tune-left');
  const g = await Gallery.open(dir, { create: true, weights: W });
  await g.enrollMany([{ id: 'a', embeddings: [unit(1, 8)] }]);
  await g.close();
  const dead = spawnSync(process.execPath, ['-e', '']).pid!; // exited: its pid names no process
  const [left, live] = [dead, process.pid].map((pid) => path.join(dir, `.tune-${pid}.usearch`));
  for (const f of [left, live]) fs.writeFileSync(f, 'a graph copy');
  await (await Gallery.open(dir)).close();
  expect(fs.existsSync(left)).toBe(false);
  expect(fs.existsSync(live)).toBe(true);
});

test('above the threshold: the approximate index agrees with exact search, persists, follows changes', async () => {
  const dir = tmpDir('gallery-ann');
  const dim = 32;
  const opts = { approximateAbove: 500 };
  let g = await Gallery.open(dir, { create: true, weights: W, ...opts });
  await g.enrollMany(Array.from({ length: 400 }, (_, i) => ({ id: `n${i}`, embeddings: [unit(i, dim)] })));
  expect(g.approximate).toBe(false);
  await g.enrollMany(Array.from({ length: 1600 }, (_, i) => ({ id: `n${400 + i}`, embeddings: [unit(400 + i, dim)] })));
  expect(g.approximate).toBe(true);
  const queries = Array.from({ length: 200 }, (_, i) => unit(50_000 + i, dim));
  const recall = async () => {
    const [a, e] = [await g.search(queries, { k: 1 }), await g.search(queries, { k: 1, exact: true })];
    return a.filter((r, i) => r.hits[0].id === e[i].hits[0].id).length / queries.length;
  };
  expect(await recall()).toBeGreaterThanOrEqual(0.99);
  for (let i = 0; i < 50; i++) await g.remove(`n${i * 7}`);
  await g.enroll('late', [unit(123_456, dim)]);
  const hit = await g.search(unit(123_456, dim), { k: 1 });
  expect(hit.hits[0]).toEqual({ id: 'late', score: expect.closeTo(1, 4) });
  const removed = await g.search(unit(7, dim), { k: 3 });
  expect(removed.hits.map((h) => h.id)).not.toContain('n7');
  await g.close();
  expect(fs.existsSync(path.join(dir, 'index.usearch'))).toBe(true);

  g = await Gallery.open(dir, opts);
  expect(g.approximate).toBe(true);
  expect(await recall()).toBeGreaterThanOrEqual(0.99);
  expect((await g.search(unit(7, dim), { k: 3 })).hits.map((h) => h.id)).not.toContain('n7');
  await g.close();
  // A damaged cache is rebuilt from the templates, not trusted.
  fs.writeFileSync(path.join(dir, 'index.usearch'), 'garbage');
  g = await Gallery.open(dir, opts);
  expect(await recall()).toBeGreaterThanOrEqual(0.99);
  expect((await g.search(unit(123_456, dim), { k: 1 })).hits[0].id).toBe('late');
  await g.close();
});

describe('the approximate index is tuned to the data', () => {
  // Uniform vectors this many: the default graph finds ~0.92 of exact search's top-1 at breadth 256
  // and ~0.99 at 512 (at 60k rows, 0.955-0.975 at 256: 200 tuning queries put 0.99 within reach
  // of chance, and a CI run once kept the default graph).
  const n = 100_000;
  const nLow = 20_000; // low-rank rows
  const dim = 512;
  /** Queries near enrolled people (cosine ~0.7), not the tuning ones; noise seeds past every enrolled row. */
  const near = (rows: (i: number) => Float32Array) =>
    Array.from({ length: 300 }, (_, q) => {
      const noise = unit(1_000_000 + q, dim);
      const v = rows(q * 61 + 7).map((x, j) => x + noise[j]);
      const s = Math.hypot(...v);
      return v.map((x) => x / s);
    });
  /** Top-1 agreement of the approximate search with exact search. */
  const agreement = async (g: Gallery, queries: Float32Array[]) => {
    const [a, e] = [
      (await g.search(queries, { k: 1 })) as SearchResult[],
      (await g.search(queries, { k: 1, exact: true })) as SearchResult[],
    ];
    return a.filter((r, i) => r.hits[0].id === e[i].hits[0].id).length / queries.length;
  };

  test('structureless vectors get a denser graph, to recall 0.99; it is saved with the index', async () => {
    const dir = tmpDir('gallery-tune');
    const g = await Gallery.open(dir, { create: true, weights: W, approximateAbove: 1 });
    await g.enrollMany(Array.from({ length: n }, (_, i) => ({ id: `p${i}`, embeddings: [unit(i + 1, dim)] })));
    const t = g.indexTuning!;
    // The default graph needs a breadth of 512 or more here: rebuilt at twice the degree, which needs less.
    expect(t).toMatchObject({ tunedRows: n, connectivity: 32 });
    expect(t.expansionSearch).toBeLessThan(512);
    expect(t.recall).toBeGreaterThanOrEqual(0.99);
    expect(
      await agreement(
        g,
        near((i) => unit(i + 1, dim)),
      ),
    ).toBeGreaterThanOrEqual(0.97);
    await g.close();
    const back = await Gallery.open(dir, { approximateAbove: 1 });
    expect(back.indexTuning).toEqual(t); // read back, not tuned again
    await back.close();
  }, 300_000);

  test('structured vectors (low rank, like face embeddings) keep the default breadth', async () => {
    const basis = Array.from({ length: 16 }, (_, l) => unit(500_000 + l, dim));
    const lowRank = (i: number) => {
      const z = unit(700_000 + i, 16);
      const v = new Float32Array(dim);
      for (let l = 0; l < 16; l++) for (let j = 0; j < dim; j++) v[j] += z[l] * basis[l][j];
      const s = Math.hypot(...v);
      return v.map((x) => x / s);
    };
    const dir = tmpDir('gallery-tune');
    const g = await Gallery.open(dir, { create: true, weights: W, approximateAbove: 1 });
    await g.enrollMany(Array.from({ length: nLow }, (_, i) => ({ id: `p${i}`, embeddings: [lowRank(i)] })));
    expect(g.indexTuning).toMatchObject({ connectivity: 16, expansionSearch: 128, tunedRows: nLow });
    expect(g.indexTuning!.recall).toBeGreaterThanOrEqual(0.99);
    expect(await agreement(g, near(lowRank))).toBeGreaterThanOrEqual(0.97);
    await g.close();
    // A saved tuning that does not hold together is not trusted: the reopened index is tuned again (a
    // degree other than the file's: rebuilt).
    const state = path.join(dir, 'index.json');
    const saved = JSON.parse(fs.readFileSync(state, 'utf8'));
    expect(saved).toMatchObject({ connectivity: 16 });
    const bads = [{ expansionSearch: 3 }, { tunedRows: -1 }, { tunedRows: 10 * n }, { recall: 'high' }];
    for (const bad of [...bads, { connectivity: 7 }, { connectivity: 32 }]) {
      fs.writeFileSync(state, JSON.stringify({ ...saved, ...bad }));
      const back = await Gallery.open(dir, { approximateAbove: 1 });
      expect(back.indexTuning).toMatchObject({ connectivity: 16, expansionSearch: 128, tunedRows: nLow });
      expect(back.indexTuning!.recall).toBeGreaterThanOrEqual(0.99);
      await back.close();
      expect(JSON.parse(fs.readFileSync(state, 'utf8'))).toMatchObject({
        connectivity: 16,
        expansionSearch: 128,
        tunedRows: nLow,
      });
    }
    // One saved before the degree could change (no connectivity) is the default's, and trusted.
    fs.writeFileSync(state, JSON.stringify({ ...saved, connectivity: undefined, recall: 0.995 }));
    const legacy = await Gallery.open(dir, { approximateAbove: 1 });
    expect(legacy.indexTuning).toEqual({ connectivity: 16, expansionSearch: 128, tunedRows: nLow, recall: 0.995 });
    await legacy.close();
  });

  test('when even the widest search falls short, the widest is kept and a warning gives the estimate', async () => {
    // Every vector enrolled twice under two names: exact search and the index break the ties their
    // own ways, so about half the top-1s differ at any breadth.
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const g = await Gallery.open(tmpDir('gallery-tune'), { create: true, weights: W, approximateAbove: 1 });
      await g.enrollMany(
        Array.from({ length: 4000 }, (_, i) => ({ id: `p${i}`, embeddings: [unit(Math.floor(i / 2) + 1, 64)] })),
      );
      const t = g.indexTuning!;
      expect(t).toMatchObject({ connectivity: 32, expansionSearch: 2048 }); // the denser graph tried too
      expect(t.recall).toBeLessThan(0.99);
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(new RegExp(`finds ${t.recall} of exact search's top-1 .*target 0\\.99`)),
        'GalleryRecallWarning',
      );
      await g.close();
    } finally {
      warn.mockRestore();
    }
  });

  test('a recall outside (0, 1] is refused', async () => {
    for (const recall of [0, 1.5, NaN])
      await expect(Gallery.open(tmpDir('gallery-tune'), { create: true, weights: W, recall })).rejects.toThrow(
        /recall must be in \(0, 1\]/,
      );
  });
});
