/**
 * report.html at the end of a run: the loss, lr and held-out accuracy curves of metrics.jsonl and a
 * summary, drawn by the evaluation report's code (the same as `vgg2-torch eval --report --run DIR`),
 * checked in headless Chromium.
 */
import fs from 'fs';
import path from 'path';
import { writeDemoDataset } from '../../lib/data/demo';
import { readRunConfig, readTrainingLog, trainingSummary } from '../../lib/eval/report/training';
import { Trainer } from '../../lib/train/trainer';
import { chromiumTest, inChromium } from '../helpers/chromium';
import { tmpDir } from '../helpers/paths';

let root: string;
let report: string | undefined; // written by the first test, drawn by the browser test

beforeAll(() => {
  root = tmpDir('train-report');
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('a finished run writes report.html with the loss, lr and accuracy curves and its outcome', async () => {
  const data = path.join(root, 'demo');
  await writeDemoDataset({ out: data, identities: 4, images: 8, size: 48, seed: 3 });
  const out = path.join(root, 'run');
  const trainer = new Trainer({
    data,
    out,
    name: 'tiny',
    inputSize: 32,
    batchSize: 4,
    epochs: 2,
    lr: 0.002,
    warmupEpochs: 1,
    schedule: 'cosine',
    holdoutPerClass: 2,
    amp: 'off',
    threads: 2,
    workers: 2,
    seed: 1,
    logEvery: 1,
    keepCheckpoints: 1,
  });
  trainer.on('log', () => undefined);
  const r = await trainer.fit();
  expect(r.status).toBe('complete');
  expect(r.report).toBe(path.join(out, 'report.html'));
  const log = readTrainingLog(out);
  expect(log.filter((m) => m.type === 'train')).toHaveLength(8);
  const evals = log.filter((m) => m.type === 'eval');
  expect(evals).toHaveLength(2);
  // 6 held-out images of 3 identities: 3 genuine and 12 impostor pairs, scored with AUC and EER.
  // AUC over 3 × 12 = 36 genuine/impostor comparisons (ties count half) is a multiple of 1/72;
  // a value off that grid means other pairs (or other images) were scored.
  for (const e of evals) {
    expect((e as { val_images?: number }).val_images).toBe(6);
    const auc = e.val_verify_auc!;
    expect(auc).toBeGreaterThanOrEqual(0);
    expect(auc).toBeLessThanOrEqual(1);
    expect(Math.abs(auc * 72 - Math.round(auc * 72))).toBeLessThan(0.01);
    expect(e.val_verify_eer).toBeGreaterThanOrEqual(0);
    expect(e.val_verify_eer).toBeLessThanOrEqual(1);
    if (auc === 1) expect(e.val_verify_eer).toBe(0);
  }
  const html = fs.readFileSync(r.report!, 'utf8');
  expect(html).toContain('<title>vgg2-torch training: tiny</title>');
  expect(html).not.toMatch(/<script|src="http|href="http/); // self-contained, offline
  // The summary is the run's: last held-out accuracy and the main settings from config.json.
  const rows = new Map(trainingSummary(log, readRunConfig(out)));
  const last = log[log.length - 1];
  expect(rows.get('held-out top-1 (last)')).toBe(`${(last.val_top1! * 100).toFixed(1)}%`);
  expect(rows.get('steps')).toBe(8);
  expect(rows.get('arch')).toBe('resnet50');
  // Rates as percentages, as the CLI prints them (issue 18.6).
  expect(html).toContain(`<td>held-out top-1 (last)</td><td>${(last.val_top1! * 100).toFixed(1)}%</td>`);
  expect(html).toContain('<td>schedule</td><td>cosine</td>');
  expect(html).toContain(`<td>held-out pairs AUC (last)</td><td>${(last.val_verify_auc! * 100).toFixed(1)}%</td>`);
  // No temporary file left next to it.
  expect(fs.readdirSync(out).filter((n) => n.includes('.tmp-'))).toEqual([]);
  report = r.report;
});

chromiumTest('the training report draws its three plots in Chromium without errors', async () => {
  expect(report).toBeDefined(); // the run above finished
  const page = await inChromium(report!, 'report-training.png');
  expect(page.errors).toEqual([]);
  expect(page.plots.map((p) => p.id)).toEqual(['train-loss', 'train-lr', 'train-val']);
  for (const p of page.plots) {
    expect(p.width).toBeGreaterThan(100);
    expect(p.marks).toBeGreaterThan(10);
  }
});

test('a metrics.jsonl line that is not a record is an error naming file and line', () => {
  const dir = path.join(root, 'bad');
  fs.mkdirSync(dir);
  fs.writeFileSync(
    path.join(dir, 'metrics.jsonl'),
    '{"type":"train","epoch":1,"step":1,"loss":2}\n{"type":"train","epoch":1}\n',
  );
  expect(() => readTrainingLog(dir)).toThrow(/metrics\.jsonl:2: expected/);
  fs.writeFileSync(path.join(dir, 'config.json'), '{"arch": ');
  expect(() => readRunConfig(dir)).toThrow(/config\.json: not JSON/);
});
