/**
 * model.quantize(): folded, dynamic and static int8 against the fp32 model they come from, on real
 * faces (calibrated on ORL, compared on CFP), their files, and every bad input they handle.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Model, describeWeights } from '../../lib';
import { Issues } from '../../lib/data/issues';
import { ImageListDataset } from '../../lib/eval/image-list';
import { agreement } from '../../lib/quant/agreement';
import { calibrationBatches, type CalibrationBatch } from '../../lib/quant/calibration';
import { splitSafetensors } from '../eval/helpers';
import { dataDir, removeTmpDirs, tmpDir } from '../helpers/paths';
import { readSafetensors } from '../helpers/safetensors';

jest.setTimeout(300_000);
afterAll(removeTmpDirs);

const SIZE = 64;
const orl = path.join(dataDir, 'orl');
const cfpFrontal = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const person = String(1 + i).padStart(3, '0');
    return path.join(dataDir, 'cfp', 'Data', 'Images', person, 'frontal', '01.jpg');
  });

let fp32: Model;
let faces: CalibrationBatch[];
const dir = tmpDir('quant');

beforeAll(async () => {
  fp32 = await Model.create({ arch: 'resnet50', numClasses: 40, seed: 3, inputSize: SIZE });
  // Held-out faces: CFP, which calibration (ORL) never sees.
  faces = (await calibrationBatches(new ImageListDataset(cfpFrontal(24), 'cfp frontal'), { size: SIZE, crop: 'none' }))
    .batches;
});
afterAll(() => fp32.dispose());

test('static int8, calibrated on 64 ORL faces, follows fp32 on CFP faces; its file is a quarter of fp32 and reloads identically', async () => {
  const q = await fp32.quantize({ mode: 'static', calibration: orl, images: 64, crop: 'none' });
  expect(q.quantization).toMatchObject({
    mode: 'static',
    observer: 'histogram',
    calibrationImages: 64,
    calibrationSkipped: 0,
  });
  expect(q.config.inference).toBe('static');
  const a = await agreement(fp32, q, faces);
  expect(a.images).toBe(24);
  expect(a.meanCosine).toBeGreaterThanOrEqual(0.98);

  const f32File = path.join(dir, 'fp32.safetensors');
  const int8File = path.join(dir, 'int8.safetensors');
  await fp32.save(f32File);
  await q.save(int8File);
  const { header } = splitSafetensors(int8File);
  expect((header['layer1.0.conv1.weight'] as { dtype: string }).dtype).toBe('I8');
  expect((header.__metadata__ as Record<string, string>).inference).toBe('static');
  // 40 classes leave the backbone dominant; its int8 share is what the file holds.
  expect(fs.statSync(int8File).size / fs.statSync(f32File).size).toBeLessThanOrEqual(0.27);

  const described = await describeWeights(int8File);
  expect(described).toMatchObject({ arch: 'resnet50', numClasses: 40, inference: 'static', inputSize: SIZE });
  expect(described.quantization).toMatchObject({ calibrationImages: 64, observer: 'histogram' });
  const back = await Model.fromFile(int8File);
  for (const b of faces) {
    const [x, y] = [await q.forward(b.data, b.shape), await back.forward(b.data, b.shape)];
    expect(Array.from(y.features)).toEqual(Array.from(x.features));
    expect(Array.from(y.logits)).toEqual(Array.from(x.logits));
  }
  back.dispose();
  q.dispose();
});

test("static int8 quantizes its input to LibTorch quantize_per_tensor's bytes: x·(1/scale) rounded half to even", async () => {
  // The addon quantizes the input in its own vectorised loop; LibTorch's rule, written out here:
  // float x · float(1/scale), nearest integer (ties to even), + zero point, clamped to 0..255.
  const base = await Model.create({ arch: 'resnet18', numClasses: 10, seed: 6, inputSize: SIZE });
  const q = await base.quantize({ mode: 'static', calibration: faces });
  const file = path.join(dir, 'input-rounding.safetensors');
  await q.save(file);
  const [scale, zeroPoint] = readSafetensors(file).tensors.get('input')!.data as Float32Array;
  const inv = Math.fround(1 / scale);
  const evenRound = (v: number) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
  const quantize = (x: number, round: (v: number) => number) =>
    Math.min(255, Math.max(0, round(Math.fround(Math.fround(x) * inv)) + zeroPoint));
  const grid = (qv: number) => Math.fround((qv - zeroPoint) * scale); // quantizes back to qv exactly

  const shape = [2, 3, SIZE, SIZE];
  const n = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(n);
  let ties = 0;
  for (let i = 0; i < n; i++) {
    // Every other value a tie (k + 0.5 exactly after the multiply), where float allows one.
    const k = ((i * 7919) % 301) - 150;
    const tie = Math.fround((k + 0.5) / inv);
    const isTie = i % 2 === 0 && Math.fround(tie * inv) === k + 0.5;
    x[i] = isTie ? tie : Math.sin(i) * 3 + (i % 5 === 0 ? 400 * scale : 0); // some beyond the range
    if (isTie) ties++;
  }
  expect(ties).toBeGreaterThan(n / 4);
  const even = x.map((v) => grid(quantize(v, evenRound)));
  const halfUp = x.map((v) => grid(quantize(v, Math.round)));
  for (let i = 0; i < n; i += 97) expect(quantize(even[i], evenRound)).toBe(quantize(x[i], evenRound));

  const [ours, expected, other] = [
    await q.forward(x, shape),
    await q.forward(even, shape),
    await q.forward(halfUp, shape),
  ];
  expect(Array.from(ours.features)).toEqual(Array.from(expected.features));
  expect(Array.from(ours.logits)).toEqual(Array.from(expected.logits));
  // The ties do reach the output: rounding them half up instead gives other features.
  expect(Array.from(other.features)).not.toEqual(Array.from(expected.features));
  q.dispose();
  base.dispose();
});

test('static int8 of SE-ResNet-50 (SE gate on the quint8 map) follows fp32', async () => {
  const se = await Model.create({ arch: 'senet50', numClasses: 40, seed: 4, inputSize: SIZE, embeddingDim: 128 });
  const q = await se.quantize({ mode: 'static', calibration: orl, images: 32, crop: 'none', observer: 'minmax' });
  const a = await agreement(se, q, faces);
  expect(a.meanCosine).toBeGreaterThanOrEqual(0.98);
  expect((await q.forward(faces[0].data, faces[0].shape)).embedding).toHaveLength(faces[0].shape[0] * 128);
  q.dispose();
  se.dispose();
});

test('dynamic int8 (Linear layers) and folded fp32 match fp32 closely; folded to float precision', async () => {
  const dyn = await fp32.quantize({ mode: 'dynamic' });
  const folded = await fp32.quantize({ mode: 'folded' });
  const d = await agreement(fp32, dyn, faces);
  expect(d.meanCosine).toBeGreaterThan(0.9999); // the backbone is fp32: features are the same
  expect(d.top1Agreement).toBeGreaterThanOrEqual(0.9);
  for (const b of faces) {
    const [x, y] = [await fp32.forward(b.data, b.shape), await folded.forward(b.data, b.shape)];
    let err = 0,
      norm = 0;
    for (let i = 0; i < x.logits.length; i++) {
      err += (x.logits[i] - y.logits[i]) ** 2;
      norm += x.logits[i] ** 2;
    }
    expect(Math.sqrt(err / norm)).toBeLessThan(1e-4);
  }
  const file = path.join(dir, 'dynamic.safetensors');
  await dyn.save(file);
  const back = await Model.fromFile(file);
  expect(back.config.inference).toBe('dynamic');
  const [x, y] = [await dyn.forward(faces[0].data, faces[0].shape), await back.forward(faces[0].data, faces[0].shape)];
  expect(Array.from(y.logits)).toEqual(Array.from(x.logits));
  back.dispose();
  dyn.dispose();
  folded.dispose();
});

test('margin-loss (cosine) classifiers keep their s·cos θ logits when quantized', async () => {
  const arc = await Model.create({ arch: 'resnet50', numClasses: 10, seed: 5, inputSize: SIZE, loss: 'arcface' });
  const q = await arc.quantize({ mode: 'dynamic' });
  const [x, y] = [await arc.forward(faces[0].data, faces[0].shape), await q.forward(faces[0].data, faces[0].shape)];
  for (let i = 0; i < x.logits.length; i++) expect(Math.abs(x.logits[i] - y.logits[i])).toBeLessThan(0.5);
  q.dispose();
  arc.dispose();
});

describe('bad input', () => {
  let int8File: string;
  beforeAll(async () => {
    const q = await fp32.quantize({ mode: 'static', calibration: faces });
    int8File = path.join(dir, 'bad-base.safetensors');
    await q.save(int8File);
    q.dispose();
  });

  test('static without calibration, an unknown mode, quantizing twice: clear errors', async () => {
    await expect(fp32.quantize({ mode: 'static' })).rejects.toThrow(/needs calibration/);
    await expect(fp32.quantize({ mode: 'int4' as never })).rejects.toThrow(/mode must be/);
    const q = await fp32.quantize({ mode: 'dynamic' });
    await expect(q.quantize({ mode: 'static', calibration: faces })).rejects.toThrow(/already dynamic/);
    q.dispose();
  });

  test('a quantized model asked to train or checkpoint: a clear error, nothing written', async () => {
    const q = await Model.fromFile(int8File);
    const x = new Uint8Array(2 * SIZE * SIZE * 3);
    await expect(q.trainStep(x, [2, SIZE, SIZE, 3], Int32Array.from([0, 1]), { lr: 0.1 })).rejects.toThrow(
      /cannot train: train the fp32 model, then quantize it again/,
    );
    const ckpt = path.join(dir, 'ckpt.safetensors');
    await expect(q.saveCheckpoint(ckpt)).rejects.toThrow(/cannot train, so it has no checkpoint/);
    expect(fs.existsSync(ckpt)).toBe(false);
    q.dispose();
  });

  test('calibration images that do not decode are counted and skipped; none usable is an error', async () => {
    const mixed = tmpDir('quant-mixed');
    for (const k of [1, 2, 3]) fs.copyFileSync(path.join(orl, 's1', `${k}.png`), path.join(mixed, `${k}.png`));
    fs.writeFileSync(
      path.join(mixed, '4.png'),
      Buffer.concat([fs.readFileSync(path.join(orl, 's1', '4.png')).subarray(0, 200)]),
    );
    fs.writeFileSync(path.join(mixed, 'notes.txt'), 'not an image');
    const warnings: string[] = [];
    const issues = new Issues({ warn: (m) => warnings.push(m) });
    const set = await calibrationBatches(mixed, { size: SIZE, crop: 'none', issues });
    expect(set.images).toBe(3);
    expect(set.skipped).toBe(1); // the truncated PNG; the text file was never an image
    expect(issues.count()).toBe(2);

    const broken = tmpDir('quant-broken');
    fs.writeFileSync(path.join(broken, 'a.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    const silent = new Issues({ warn: () => undefined });
    await expect(calibrationBatches(broken, { size: SIZE, issues: silent })).rejects.toThrow(
      /none of the 1 calibration images could be used/,
    );
    await expect(calibrationBatches(path.join(broken, 'nothing'), { size: SIZE })).rejects.toThrow(
      /no such file or directory/,
    );
  });

  /** A copy of the int8 file with one tensor's first float replaced. */
  function withFirstFloat(tensor: string, value: number): string {
    const { header } = splitSafetensors(int8File);
    const buf = Buffer.from(fs.readFileSync(int8File));
    const headerLength = Number(buf.readBigUInt64LE(0));
    const [begin] = (header[tensor] as { data_offsets: [number, number] }).data_offsets;
    buf.writeFloatLE(value, 8 + headerLength + begin);
    const out = path.join(dir, `bad-${tensor}-${value}.safetensors`);
    fs.writeFileSync(out, buf);
    return out;
  }

  test.each([
    [
      'layer2.1.conv2.weight_scale',
      -1,
      /layer2\.1\.conv2\.weight_scale' holds a scale that is not finite and positive/,
    ],
    ['layer2.1.conv2.weight_scale', NaN, /layer2\.1\.conv2\.weight_scale' holds a scale/],
    ['layer3.0.output', 0, /layer3\.0\.output' is not a valid quint8 scale and zero point/],
    ['input', Infinity, /'input' is not a valid quint8 scale/],
  ])('a corrupt scale table (%s = %d) is an error naming the tensor', async (tensor, value, message) => {
    await expect(Model.fromFile(withFirstFloat(tensor, value))).rejects.toThrow(message);
  });

  test('an int8 file loaded into a trainable model (train --init), or fp32 weights into an int8 one: said plainly', async () => {
    const trainable = await Model.create({ arch: 'resnet50', numClasses: 40, inputSize: SIZE });
    await expect(trainable.load(int8File)).rejects.toThrow(/a static inference model \(made by quantize\)/);
    trainable.dispose();
    const q = await Model.fromFile(int8File);
    const f32 = path.join(dir, 'plain.safetensors');
    await fp32.save(f32);
    await expect(q.load(f32)).rejects.toThrow(/fp32 weights, not a static inference model/);
    q.dispose();
  });

  test('a missing tensor and a file that is not a model are named', async () => {
    const { header, data } = splitSafetensors(int8File);
    header['layer4.2.conv3.bias_'] = header['layer4.2.conv3.bias'];
    delete header['layer4.2.conv3.bias'];
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    const missing = path.join(dir, 'missing.safetensors');
    fs.writeFileSync(missing, Buffer.concat([len, json, data]));
    await expect(Model.fromFile(missing)).rejects.toThrow(/tensor 'layer4\.2\.conv3\.bias' is missing/);
    const text = path.join(dir, 'notes.safetensors');
    fs.writeFileSync(text, 'these are not weights\n');
    await expect(Model.fromFile(text)).rejects.toThrow(/notes\.safetensors/);
  });
});
