/**
 * The eval / embed / verify commands on real files, and the HTML report checked in a real
 * headless Chromium (Debian's /usr/bin/chromium through puppeteer-core): no console errors, every
 * plot drawn. Screenshots go to test-artifacts/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeDemoDataset } from '../../lib/data/demo';
import { readNpy } from '../../lib/io/npy';
import { Model } from '../../lib/model';
import { describeShared, SHARED, tmpDir } from '../data/helpers';
import { readSafetensors } from '../helpers/safetensors';
import { CHROMIUM, chromiumTest, haveChromium, inChromium } from '../helpers/chromium';
import { cli as runCli } from './helpers';

/** stdout of `vgg2-torch ARGS` (the shared runner in ./helpers). */
const cli = async (args: string[]): Promise<string> => (await runCli(args)).out;

let dir: string;
let resnet: string;
let senet: string;
let demo: string;

beforeAll(async () => {
  dir = tmpDir('evalcli');
  resnet = path.join(dir, 'resnet50.safetensors');
  senet = path.join(dir, 'senet50.safetensors');
  for (const [arch, file] of [
    ['resnet50', resnet],
    ['senet50', senet],
  ] as const) {
    const m = await Model.create({ arch, numClasses: 10, seed: 4, inputSize: 32 });
    await m.save(file, { verify_threshold: '0.5' });
    m.dispose();
  }
  demo = path.join(dir, 'demo');
  await writeDemoDataset({ out: demo, identities: 12, images: 12, size: 48, seed: 5 });
});

if (!haveChromium)
  process.stderr.write(
    `note: ${CHROMIUM} not found (apt-get install chromium); the browser checks of the report are skipped\n`,
  );

describe('eval on demo data: identify and pose, JSON and report', () => {
  test('stable JSON keys; self-contained reports for identify and pose', async () => {
    const json = path.join(dir, 'pose.json');
    const html = path.join(dir, 'pose.html');
    const table = await cli([
      'eval',
      '--weights',
      resnet,
      senet,
      '--data',
      demo,
      '--protocol',
      'pose',
      '--size',
      '32',
      '--json',
      json,
      '--report',
      html,
    ]);
    expect(table).toMatch(/cross_rate\s+\S+\s+\S+/); // one column per weights file
    const records = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(records).toHaveLength(2);
    expect(Object.keys(records[0])).toEqual(['protocol', 'weights', 'label', 'model', 'data', 'metrics', 'folds']);
    expect(records[1].model).toMatchObject({
      arch: 'senet50',
      num_classes: 10,
      input_size: 32,
      output: 'features',
      flip: false,
    });
    expect(Object.keys(records[0].metrics)).toEqual([
      'identities',
      'templates',
      'template_size',
      'kinds',
      'similarity',
      'identification',
      'cross_identification',
      'cross_rate',
    ]);
    const ijson = path.join(dir, 'identify.json');
    const ihtml = path.join(dir, 'identify.html');
    await cli([
      'eval',
      '--weights',
      resnet,
      '--data',
      demo,
      '--protocol',
      'identify',
      '--size',
      '32',
      '--unknown',
      '1',
      '--json',
      ijson,
      '--report',
      ihtml,
    ]);
    const ident = JSON.parse(fs.readFileSync(ijson, 'utf8'));
    expect(ident.metrics).toMatchObject({ identities: 2, unknown_identities: 1 });
    expect(Object.keys(ident.metrics.tpir_at_fpir)).toEqual(['1e-2', '1e-1']);
    const page = fs.readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<script|src="http|href="http/); // self-contained, offline
  });

  chromiumTest('the pose heatmaps and the CMC draw in Chromium without errors', async () => {
    const [html, ihtml] = [path.join(dir, 'pose.html'), path.join(dir, 'identify.html')];
    expect([fs.existsSync(html), fs.existsSync(ihtml)]).toEqual([true, true]); // written by the test above
    const pose = await inChromium(html, 'report-pose.png');
    expect(pose.errors).toEqual([]);
    expect(pose.plots.map((p) => p.id)).toEqual(['matrix-0', 'matrix-1']);
    const ident2 = await inChromium(ihtml, 'report-identify.png');
    expect(ident2.errors).toEqual([]);
    expect(ident2.plots.map((p) => p.id)).toEqual(['cmc']);
    for (const p of [...pose.plots, ...ident2.plots]) {
      expect(p.width).toBeGreaterThan(100);
      expect(p.marks).toBeGreaterThan(10);
    }
  });
});

describeShared('eval on CFP (real images) with a training run: ROC, histograms, training curves', () => {
  test('two architectures side by side: JSON metrics and the report', async () => {
    const run = path.join(dir, 'run');
    fs.mkdirSync(run);
    const log = [];
    for (let s = 1; s <= 20; s++)
      log.push({
        type: 'train',
        epoch: Math.floor(s / 10),
        step: s,
        seconds: s,
        lr: 0.1 / (1 + s),
        loss: 2.3 / Math.sqrt(s),
        images_per_s: 50,
      });
    log.push(
      { type: 'eval', epoch: 0, step: 10, val_top1: 0.2, val_top5: 0.6 },
      { type: 'eval', epoch: 1, step: 20, val_top1: 0.3, val_top5: 0.7 },
    );
    fs.writeFileSync(path.join(run, 'metrics.jsonl'), log.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const json = path.join(dir, 'cfp.json');
    const html = path.join(dir, 'cfp.html');
    await cli([
      'eval',
      '--weights',
      resnet,
      senet,
      '--data',
      path.join(SHARED, 'cfp'),
      '--protocol',
      'cfp',
      '--size',
      '32',
      '--json',
      json,
      '--report',
      html,
      '--run',
      run,
    ]);
    const [r] = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(r.metrics.folds_used).toEqual(['01', '02', '10']);
    expect(r.metrics.folds_skipped).toEqual(['03', '04', '05', '06', '07', '08', '09']);
    expect(Object.keys(r.metrics.FF)).toEqual([
      'pairs',
      'genuine',
      'impostor',
      'auc',
      'eer',
      'eer_threshold',
      'tar_at_far',
      'accuracy',
      'accuracy_std',
    ]);
    expect(r.metrics.FF.pairs).toBe(2100);
    expect(r.folds).toHaveLength(6); // FF and FP × 3 folds
    expect(fs.readFileSync(html, 'utf8')).toContain('folds_skipped');
  });

  chromiumTest('the CFP report (ROC, histograms, training curves) draws in Chromium without errors', async () => {
    const html = path.join(dir, 'cfp.html');
    expect(fs.existsSync(html)).toBe(true); // written by the test above
    const { errors, plots } = await inChromium(html, 'report-cfp.png');
    expect(errors).toEqual([]);
    expect(plots.map((p) => p.id)).toEqual([
      'roc',
      'hist-0-FF',
      'hist-0-FP',
      'hist-1-FF',
      'hist-1-FP',
      'train-loss',
      'train-lr',
      'train-val',
    ]);
    for (const p of plots) {
      expect(p.width).toBeGreaterThan(100);
      expect(p.marks).toBeGreaterThan(10);
    }
  });

  test('embed writes .npy / .safetensors / .jsonl; verify decides at the stored threshold', async () => {
    const list = path.join(dir, 'faces.txt');
    const faces = ['001/frontal/01.jpg', '001/frontal/02.jpg', '002/profile/01.jpg'].map((f) =>
      path.join(SHARED, 'cfp', 'Data', 'Images', f),
    );
    fs.writeFileSync(list, faces.join('\n') + '\n');
    const npy = path.join(dir, 'e.npy');
    await cli(['embed', '--weights', resnet, '--images', list, '--out', npy, '--size', '32']);
    const a = readNpy(npy);
    expect(a.shape).toEqual([3, 2048]);
    const st = path.join(dir, 'e.safetensors');
    await cli(['embed', '--weights', resnet, '--images', list, '--out', st, '--size', '32']);
    const s = readSafetensors(st);
    expect(JSON.parse(s.metadata.paths)).toEqual(faces);
    expect(Array.from(s.tensors.get('embeddings')!.data as Float32Array)).toEqual(Array.from(a.data as Float32Array));
    const jl = path.join(dir, 'e.jsonl');
    await cli(['embed', '--weights', resnet, '--images', list, '--out', jl, '--size', '32', '--flip']);
    const rows = fs
      .readFileSync(jl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.path)).toEqual(faces);
    expect(Math.hypot(...rows[0].embedding)).toBeCloseTo(1, 5);
    await expect(
      cli(['embed', '--weights', resnet, '--images', list, '--out', path.join(dir, 'e.csv')]),
    ).rejects.toThrow(/--out must end in/);
    const v = JSON.parse(await cli(['verify', '--weights', resnet, faces[0], faces[1], '--size', '32', '--json']));
    const e = a.data as Float32Array;
    let expected = 0;
    for (let k = 0; k < 2048; k++) expected += e[k] * e[2048 + k];
    expect(v.similarity).toBeCloseTo(expected, 5);
    expect(v.threshold).toBe(0.5);
    expect(v.same).toBe(v.similarity >= 0.5);
  });
});
