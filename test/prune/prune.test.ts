/**
 * Structured channel pruning: channels that carry nothing (BatchNorm γ = β = 0, or a zero filter
 * on zero statistics) are the ones removed, and the smaller dense network computes what the full
 * one did; the pruned file describes its own widths, loads, quantizes, exports (onnxruntime
 * agrees), fine-tunes with the Trainer; bad input is refused.
 */
import * as fs from 'fs';
import * as path from 'path';
import { prunableConvs, type Arch } from '../../lib/archs';
import { writeDemoDataset } from '../../lib/data/demo';
import { exportOnnx } from '../../lib/export';
import { encodeSafetensors, readSafetensors, type SafetensorsArray } from '../../lib/io/safetensors';
import { writeFileAtomic } from '../../lib/io/atomic-write';
import { describeWeights, Model } from '../../lib/model';
import { keptWidth, pruneModel, pruneTensors, type PruneCriterion } from '../../lib/prune';
import { mulberry32 } from '../../lib/random';
import { Trainer } from '../../lib/train/trainer';
import { modelWithStatistics, pixels, relativeError, runOnnx } from '../export/helpers';
import { removeTmpDirs, tmpDir } from '../helpers/paths';

jest.setTimeout(300_000);
afterAll(removeTmpDirs);

const dir = tmpDir('prune');
const SIZE = 64;
const x = pixels(2, SIZE, 5);
const shape = [2, SIZE, SIZE, 3];

/**
 * A model whose every prunable conv has `ratio` of its channels made dead for `criterion`: bn, γ and
 * β zero; l1, a zero filter with zero running mean and β (γ left as it was, so bn would keep some).
 * The file is rewritten and loaded; the dead channels of each conv are returned.
 */
async function modelWithDeadChannels(arch: Arch, criterion: PruneCriterion, ratio: number, file: string) {
  const base = await modelWithStatistics({ arch, numClasses: 5, inputSize: SIZE, seed: 2 }, file);
  base.dispose();
  const { metadata, tensors } = readSafetensors(file);
  const rand = mulberry32(9);
  const dead = new Map<string, Set<number>>();
  const f32 = (name: string) => tensors.get(name)!.data as Float32Array;
  for (const { block, conv, planes } of prunableConvs(arch)) {
    const bn = `${block}.bn${conv === 'conv1' ? 1 : 2}`;
    const chosen = new Set<number>();
    while (chosen.size < planes - keptWidth(planes, ratio, 1)) chosen.add(Math.floor(rand() * planes));
    dead.set(`${block}.${conv}`, chosen);
    const w = f32(`${block}.${conv}.weight`);
    const per = w.length / planes;
    for (const c of chosen) {
      f32(`${bn}.bias`)[c] = 0;
      if (criterion === 'bn') f32(`${bn}.weight`)[c] = 0;
      else {
        w.fill(0, c * per, (c + 1) * per);
        f32(`${bn}.running_mean`)[c] = 0;
      }
    }
  }
  writeFileAtomic(file, encodeSafetensors(Object.fromEntries(tensors), metadata));
  return { model: await Model.fromFile(file), dead, tensors };
}

describe.each([
  ['resnet18', 'bn'],
  ['resnet50', 'bn'],
  ['senet50', 'l1'],
  ['senet34', 'l1'],
] as [Arch, PruneCriterion][])('%s by %s', (arch, criterion) => {
  test('the dead channels go, and the smaller network computes what the full one did', async () => {
    const ratio = 0.3;
    const { model, dead, tensors } = await modelWithDeadChannels(
      arch,
      criterion,
      ratio,
      path.join(dir, `${arch}-${criterion}.safetensors`),
    );
    try {
      const full = await model.forward(x, shape);
      const r = await pruneModel(model, { ratio, criterion });
      try {
        const convs = prunableConvs(arch);
        expect(r.convs.map((c) => [c.name, c.from, c.to])).toEqual(
          convs.map((c) => [`${c.block}.${c.conv}`, c.planes, keptWidth(c.planes, ratio, 1)]),
        );
        expect(r.model.config.innerWidths).toEqual(r.convs.map((c) => c.to));
        // Every conv lost k_out · k_in · kh · kw weights per removed channel, its BatchNorm 2 and
        // the next conv its inputs: far fewer parameters, none of them masked zeros.
        expect(r.parametersAfter).toBeLessThan(r.parametersBefore * (arch === 'resnet50' ? 0.85 : 0.9));
        const pruned = await r.model.forward(x, shape);
        expect(relativeError(pruned.logits, full.logits)).toBeLessThanOrEqual(1e-5);
        expect(relativeError(pruned.embedding ?? pruned.features, full.embedding ?? full.features)).toBeLessThanOrEqual(
          1e-5,
        );
        // The kept channels are the live ones, in order (their BatchNorm's γ, which l1 leaves as it was).
        const { tensors: cut } = pruneTensors(arch, tensors, { ratio, criterion });
        for (const { block, conv, planes } of convs) {
          const bn = `${block}.bn${conv === 'conv1' ? 1 : 2}.weight`;
          const live = [...Array(planes).keys()].filter((c) => !dead.get(`${block}.${conv}`)!.has(c));
          const gamma = tensors.get(bn)!.data as Float32Array;
          expect(cut.get(bn)!.data).toEqual(Float32Array.from(live, (c) => gamma[c]));
        }
      } finally {
        r.model.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});

test('the other criterion on the same network keeps other channels: the choice is the criterion’s', async () => {
  const { model } = await modelWithDeadChannels('resnet18', 'l1', 0.5, path.join(dir, 'other.safetensors'));
  try {
    const full = await model.forward(x, shape);
    const byL1 = await pruneModel(model, { ratio: 0.5, criterion: 'l1' });
    const byBn = await pruneModel(model, { ratio: 0.5, criterion: 'bn' });
    const [a, b] = [await byL1.model.forward(x, shape), await byBn.model.forward(x, shape)];
    expect(relativeError(a.logits, full.logits)).toBeLessThanOrEqual(1e-5);
    expect(relativeError(b.logits, full.logits)).toBeGreaterThan(1e-3);
    byL1.model.dispose();
    byBn.model.dispose();
  } finally {
    model.dispose();
  }
});

describe('a pruned model is a model like any other', () => {
  const fullFile = path.join(dir, 'full.safetensors');
  const prunedFile = path.join(dir, 'pruned.safetensors');
  let pruned: Model;
  let widths: number[];
  beforeAll(async () => {
    const full = await modelWithStatistics(
      { arch: 'resnet50', numClasses: 4, embeddingDim: 32, inputSize: SIZE, seed: 4 },
      fullFile,
    );
    const r = await pruneModel(full, { ratio: 0.5, multiple: 8 });
    full.dispose();
    pruned = r.model;
    widths = r.model.config.innerWidths!;
    await pruned.save(prunedFile);
  });
  afterAll(() => pruned.dispose());

  test('multiple: every width a multiple of 8, half of the unpruned', () => {
    expect(widths).toEqual(prunableConvs('resnet50').map((c) => c.planes / 2));
    expect(fs.statSync(prunedFile).size).toBeLessThan(0.75 * fs.statSync(fullFile).size);
  });

  test('its file describes its widths, and loads into a model that computes the same', async () => {
    expect(await describeWeights(prunedFile)).toMatchObject({
      arch: 'resnet50',
      embeddingDim: 32,
      innerWidths: widths,
    });
    expect(await describeWeights(fullFile)).not.toHaveProperty('innerWidths');
    const again = await Model.fromFile(prunedFile);
    try {
      expect(again.describe().innerWidths).toEqual(widths);
      const [a, b] = [await pruned.forward(x, shape), await again.forward(x, shape)];
      expect(b.logits).toEqual(a.logits);
    } finally {
      again.dispose();
    }
    // A full-width model refuses the pruned file by shape.
    const wide = await Model.create({ arch: 'resnet50', numClasses: 4, embeddingDim: 32 });
    await expect(wide.load(prunedFile)).rejects.toThrow(
      /shape mismatch: layer1\.0\.conv1\.weight \[32, 64, 1, 1\] in file/,
    );
    wide.dispose();
  });

  test('it quantizes (folded, static int8), and the int8 file loads back with its widths', async () => {
    const ref = await pruned.forward(x, shape);
    const folded = await pruned.quantize({ mode: 'folded' });
    expect(relativeError((await folded.forward(x, shape)).logits, ref.logits)).toBeLessThanOrEqual(1e-4);
    folded.dispose();
    const calibration = [0, 1, 2].map((s) => ({ data: pixels(4, SIZE, 20 + s), shape: [4, SIZE, SIZE, 3] }));
    const q = await pruned.quantize({ mode: 'static', calibration });
    const int8File = path.join(dir, 'pruned-int8.safetensors');
    await q.save(int8File);
    const y = await q.forward(x, shape);
    q.dispose();
    expect(relativeError(y.embedding!, ref.embedding!)).toBeLessThan(0.2);
    const loaded = await Model.fromFile(int8File);
    try {
      expect(loaded.describe()).toMatchObject({ inference: 'static', innerWidths: widths });
      expect((await loaded.forward(x, shape)).logits).toEqual(y.logits);
    } finally {
      loaded.dispose();
    }
  });

  test('its ONNX export agrees with onnxruntime', async () => {
    const onnxFile = path.join(dir, 'pruned.onnx');
    await exportOnnx(prunedFile, { out: onnxFile, dynamicBatch: true });
    const ours = await pruned.forward(x, shape);
    const ort = runOnnx(onnxFile, x, shape);
    expect(relativeError(ort.logits.data, ours.logits)).toBeLessThanOrEqual(1e-4);
    expect(relativeError(ort.features.data, ours.features)).toBeLessThanOrEqual(1e-4);
  });

  test('the Trainer fine-tunes it from init, keeping its widths', async () => {
    const data = path.join(dir, 'data');
    await writeDemoDataset({ out: data, identities: 3, images: 8, size: 40, seed: 6 });
    const out = path.join(dir, 'finetune');
    const trainer = new Trainer({
      data,
      out,
      arch: 'resnet50',
      embeddingDim: 32,
      init: prunedFile,
      inputSize: 32,
      batchSize: 6,
      epochs: 2,
      lr: 0.01,
      warmupEpochs: 0,
      holdoutPerClass: 0,
      amp: 'off',
      threads: 2,
      workers: 1,
      seed: 3,
    });
    const logs: string[] = [];
    trainer.on('log', (line: string) => logs.push(line));
    await trainer.fit();
    expect(logs.join('\n')).toMatch(/init: .*pruned\.safetensors \(backbone; new 2-class classifier\)/);
    const tuned = await describeWeights(path.join(out, 'model.safetensors'));
    expect(tuned.innerWidths).toEqual(widths);
  });
});

describe('bad input', () => {
  let model: Model;
  beforeAll(async () => {
    model = await Model.create({ arch: 'resnet18', numClasses: 3, inputSize: 32 });
  });
  afterAll(() => model.dispose());

  test.each([0, 1, -0.2, 1.5, NaN, '0.3', undefined])('ratio %p', async (ratio) => {
    await expect(pruneModel(model, { ratio: ratio as number })).rejects.toThrow(
      /prune: ratio must be a number in \(0, 1\)/,
    );
  });
  test('an unknown criterion, a bad multiple', async () => {
    await expect(pruneModel(model, { ratio: 0.3, criterion: 'taylor' as PruneCriterion })).rejects.toThrow(
      /criterion must be bn or l1, got 'taylor'/,
    );
    await expect(pruneModel(model, { ratio: 0.3, multiple: 0 })).rejects.toThrow(/multiple must be an integer from 1/);
  });
  test('mobilefacenet and quantized models', async () => {
    const mfn = await Model.create({ arch: 'mobilefacenet', numClasses: 3 });
    await expect(pruneModel(mfn, { ratio: 0.3 })).rejects.toThrow(/exists for the ResNets .* not mobilefacenet/);
    mfn.dispose();
    const folded = await model.quantize({ mode: 'folded' });
    await expect(pruneModel(folded, { ratio: 0.3 })).rejects.toThrow(/this model is folded .* prune the fp32 model/);
    folded.dispose();
  });
  test('widths that do not fit the network', async () => {
    await expect(Model.create({ arch: 'resnet18', innerWidths: [8, 8, 8] })).rejects.toThrow(
      /innerWidths has 3 widths; this network needs 8 \(1 for each of its 8 blocks\)/,
    );
    await expect(Model.create({ arch: 'resnet18', innerWidths: [64, 64, 200, 8, 8, 8, 8, 8] })).rejects.toThrow(
      /innerWidths\[2\] is 200: layer2\.0's inner widths must be from 1 to 128/,
    );
    await expect(Model.create({ arch: 'mobilefacenet', innerWidths: [8] })).rejects.toThrow(/not mobilefacenet/);
  });
  test('a tensor that is not F32', () => {
    const t = new Map<string, SafetensorsArray>([
      ['layer1.0.conv1.weight', { dtype: 'I32', shape: [64, 64, 3, 3], data: new Int32Array(64 * 64 * 9) }],
    ]);
    expect(() => pruneTensors('resnet18', t, { ratio: 0.3 })).toThrow(/tensor 'layer1\.0\.conv1\.weight' is I32/);
  });
});
