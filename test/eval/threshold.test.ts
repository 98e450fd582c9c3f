/**
 * Issue 18.3, 18.2, 18.11: `eval --set-threshold` stores verify_threshold in the weights (header
 * only: the tensor bytes stay identical) and `verify` decides with it; balanced accuracy with
 * unbalanced pairs; two same-named models keep apart in the table, JSON, legends and titles; eval
 * says where it wrote.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeDemoDataset } from '../../lib/data/demo';
import { uniqueLabels } from '../../lib/eval/labels';
import { bestThreshold } from '../../lib/eval/metrics';
import { parseThresholdRule, setWeightsMetadata } from '../../lib/eval/threshold';
import { tmpDir, writeImage } from '../data/helpers';
import { cli, splitSafetensors, tinyWeights } from './helpers';

let dir: string;
let demo: string;
let a: string;
let b: string;

beforeAll(async () => {
  dir = tmpDir('threshold');
  demo = path.join(dir, 'demo');
  await writeDemoDataset({ out: demo, identities: 10, images: 6, size: 40, seed: 4 });
  fs.mkdirSync(path.join(dir, 'runs', 'a'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'runs', 'b'), { recursive: true });
  a = await tinyWeights(path.join(dir, 'runs', 'a', 'model.safetensors'), 1);
  b = await tinyWeights(path.join(dir, 'runs', 'b', 'model.safetensors'), 2);
});

describe('eval --set-threshold → verify', () => {
  test('eer, best and far=X store verify_threshold (tensors byte-identical); verify uses it', async () => {
    const before = splitSafetensors(a);
    let last = NaN;
    for (const rule of ['eer', 'best', 'far=0.1']) {
      const json = path.join(dir, `t-${rule}.json`);
      const r = await cli([
        'eval',
        '--weights',
        a,
        '--protocol',
        'verify',
        '--data',
        demo,
        '--size',
        '32',
        '--set-threshold',
        rule,
        '--json',
        json,
      ]);
      const after = splitSafetensors(a);
      const stored = Number((after.header.__metadata__ as Record<string, string>).verify_threshold);
      expect(Number.isFinite(stored)).toBe(true);
      expect(r.err).toContain(`${a}: verify_threshold ${stored.toFixed(4)}`);
      expect(r.err).toContain(`results: ${json}`); // 18.11: says where it wrote
      expect(Buffer.compare(after.data, before.data)).toBe(0);
      // Every tensor entry (dtype, shape, offsets) unchanged; only the metadata grew.
      const strip = (h: Record<string, unknown>) => ({ ...h, __metadata__: undefined });
      expect(strip(after.header)).toEqual(strip(before.header));
      const metrics = JSON.parse(fs.readFileSync(json, 'utf8')).metrics;
      if (rule === 'eer') expect(stored).toBe(metrics.eer_threshold);
      if (rule === 'best') expect(stored).toBe(metrics.best_balanced_threshold);
      last = stored;
    }
    // verify decides at the stored threshold.
    const img = path.join(dir, 'x.png');
    await writeImage(img, 40, 40, 'png', 3);
    const v = JSON.parse((await cli(['verify', '--weights', a, img, img, '--json'])).out);
    expect(v.threshold).toBe(last);
    expect(v.same).toBe(v.similarity >= last);
    const text = (await cli(['verify', '--weights', a, img, img])).out;
    expect(text).toMatch(new RegExp(`(same person|different people) \\(threshold ${last}\\)`));
  });

  test('wrong rules and protocols are refused before any work, the weights untouched', async () => {
    const bytes = fs.readFileSync(b);
    await expect(
      cli(['eval', '--weights', b, '--protocol', 'identify', '--data', demo, '--set-threshold', 'eer']),
    ).rejects.toThrow(/--set-threshold needs a pair protocol \(verify, cfp, pairs\), not identify/);
    for (const bad of ['far=2', 'far=', 'median'])
      expect(() => parseThresholdRule(bad)).toThrow(`--set-threshold ${bad}: expected eer, best or far=X`);
    expect(Buffer.compare(fs.readFileSync(b), bytes)).toBe(0);
    const txt = path.join(dir, 'not.safetensors');
    fs.writeFileSync(txt, 'hello');
    expect(() => setWeightsMetadata(txt, { verify_threshold: '0.5' })).toThrow(`${txt}: cannot store metadata`);
  });

  test('balanced accuracy: 1 genuine in 10 pairs, "always different" is 0.9 accurate but 0.5 balanced', () => {
    // Genuine scores overlap impostors: plain accuracy prefers rejecting everything.
    const scores = [0.5, 0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05];
    const same = [true, false, false, false, false, false, false, false, false, false];
    const plain = bestThreshold(scores, same);
    expect(plain.accuracy).toBeCloseTo(0.9);
    expect(plain.threshold).toBeGreaterThan(0.9); // rejects all
    const bal = bestThreshold(scores, same, true);
    expect(bal.accuracy).toBeCloseTo((1 + 5 / 9) / 2); // accepts the genuine pair and 4 impostors
    expect(bal.threshold).toBeCloseTo(0.45);
  });
});

describe('two models in one comparison', () => {
  test('labels: run folder names, else the shortest distinct path suffix', () => {
    expect(uniqueLabels(['runs/a/model.safetensors', 'runs/b/model.safetensors'])).toEqual(['a', 'b']);
    expect(uniqueLabels(['x/run/model.safetensors', 'y/run/model.safetensors'])).toEqual(['x/run', 'y/run']);
    expect(uniqueLabels(['m1.safetensors', 'm2.safetensors'])).toEqual(['m1.safetensors', 'm2.safetensors']);
    expect(uniqueLabels(['a/w.safetensors', 'a/w.safetensors'])).toEqual(['a', 'a (2)']);
    expect(uniqueLabels(['a/model.safetensors'])).toEqual(['model.safetensors']);
  });

  test('eval of a/model.safetensors and b/model.safetensors: two columns, two curves, two histogram titles', async () => {
    const json = path.join(dir, 'two.json');
    const html = path.join(dir, 'two.html');
    const r = await cli([
      'eval',
      '--weights',
      a,
      b,
      '--protocol',
      'verify',
      '--data',
      demo,
      '--size',
      '32',
      '--json',
      json,
      '--report',
      html,
    ]);
    expect(r.out.split('\n')[0]).toMatch(/^metric\s+a\s+b$/);
    expect(r.err).toContain(`results: ${json}`);
    expect(r.err).toContain(`report: ${html}`);
    const records = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(records.map((x: { label: string; weights: string }) => [x.label, x.weights])).toEqual([
      ['a', a],
      ['b', b],
    ]);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('Genuine vs impostor scores — a · pairs');
    expect(page).toContain('Genuine vs impostor scores — b · pairs');
    expect(page).toMatch(/<th title="[^"]*runs\/a\/model\.safetensors">a<br>/);
    expect(page).toMatch(/<th title="[^"]*runs\/b\/model\.safetensors">b<br>/);
    // The ROC legend has one entry per model (the SVG holds both series names).
    expect(page).toMatch(/>a · pairs</);
    expect(page).toMatch(/>b · pairs</);
  });
});
