/**
 * The smaller networks of the family (ResNet-18/34 with and without SE, MobileFaceNet) against
 * PyTorch: reference/students.py builds them with seeded weights (BatchNorm statistics randomised)
 * and writes the state_dict and the outputs; ours loads the .pth by its names alone and must give
 * the same features and logits. Then they train, save, reload (and the ResNets quantize) like
 * ResNet-50.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Model, describeWeights } from '../../lib';
import { archFromNames, ARCHS, type Arch } from '../../lib/archs';
import { readNpy } from '../../lib/io/npy';
import { agreement } from '../../lib/quant/agreement';
import { calibrationBatches } from '../../lib/quant/calibration';
import { ImageListDataset } from '../../lib/eval/image-list';
import { Trainer } from '../../lib/train';
import { writeDemoDataset } from '../../lib/data/demo';
import { relativeError } from '../helpers/relative-error';
import { dataDir, python, referenceDir, removeTmpDirs, repoRoot, tmpDir } from '../helpers/paths';

jest.setTimeout(300_000);
afterAll(removeTmpDirs);

describe.each([
  ['resnet18', 64],
  ['resnet34', 64],
  ['senet18', 64],
  ['senet34', 64],
  ['mobilefacenet', 112],
] as const)('%s matches PyTorch at %i px', (arch, size) => {
  const dir = tmpDir(`student-${arch}`);
  let model: Model;
  let torchParameters: number;

  beforeAll(async () => {
    const args = [
      path.join(repoRoot, 'reference', 'students.py'),
      'oracle',
      referenceDir,
      arch,
      '10',
      String(size),
      '5',
      dir,
    ];
    const out = python(args);
    torchParameters = Number(out.trim());
    model = await Model.fromFile(path.join(dir, 'weights.pth'));
  });
  afterAll(() => model?.dispose());

  test('the .pth loads by its names into the right network', () => {
    expect(model.config.arch).toBe(arch);
    expect(model.config.numClasses).toBe(10);
    expect(model.parameterCount).toBe(torchParameters);
  });

  test('features (512-d) and logits within 1e-4 relative error', async () => {
    const input = readNpy(path.join(dir, 'input.npy'));
    const out = await model.forward(input.data as Float32Array, input.shape);
    expect(out.features).toHaveLength(2 * 512);
    expect(relativeError(out.features, readNpy(path.join(dir, 'features.npy')).data)).toBeLessThan(1e-4);
    expect(relativeError(out.logits, readNpy(path.join(dir, 'logits.npy')).data)).toBeLessThan(1e-4);
  });
});

test('the arch of a state dict from its names alone', () => {
  const names = (blocks: number[], conv3: boolean, se: boolean) =>
    blocks.flatMap((n, l) =>
      Array.from({ length: n }, (_, b) => [
        `layer${l + 1}.${b}.conv1.weight`,
        ...(conv3 ? [`layer${l + 1}.${b}.conv3.weight`] : []),
        ...(se ? [`layer${l + 1}.${b}.se.fc.0.weight`] : []),
      ]).flat(),
    );
  expect(archFromNames(names([2, 2, 2, 2], false, false))).toBe('resnet18');
  expect(archFromNames(names([3, 4, 6, 3], false, true))).toBe('senet34');
  expect(archFromNames(names([3, 4, 6, 3], true, false))).toBe('resnet50');
  expect(archFromNames(names([3, 4, 6, 3], true, true))).toBe('senet50');
  expect(archFromNames(['conv1.weight', 'gdc.weight', 'layer1.0.conv1.weight'])).toBe('mobilefacenet');
  expect(archFromNames(['conv1.weight', 'fc.weight'])).toBeUndefined();
  expect(ARCHS).toHaveLength(7);
});

test('bad arch names, variants and input sizes are refused clearly', async () => {
  await expect(Model.create({ arch: 'resnet19' as Arch })).rejects.toThrow(/arch.*resnet18/);
  await expect(Model.create({ arch: 'resnet18', variant: 'caffe' })).rejects.toThrow(
    /'caffe' variant exists for resnet50 and senet50 only, not resnet18/,
  );
  await expect(Model.create({ arch: 'mobilefacenet', inputSize: 224 })).rejects.toThrow(
    /mobilefacenet takes 112×112 faces .* not inputSize 224/,
  );
  const m = await Model.create({ arch: 'mobilefacenet', numClasses: 5 });
  try {
    expect(m.describe()).toMatchObject({ arch: 'mobilefacenet', inputSize: 112, embeddingDim: 512 });
    await expect(m.forward(new Float32Array(3 * 96 * 96), [1, 3, 96, 96])).rejects.toThrow(
      /mobilefacenet takes 112x112 faces .*got 96x96/,
    );
    await expect(m.quantize({ mode: 'folded' })).rejects.toThrow(/mobilefacenet is not supported yet/);
  } finally {
    m.dispose();
  }
});

test('MobileFaceNet (128-d) trains with the Trainer and reloads with its embedding size', async () => {
  const root = tmpDir('student-mfn');
  const data = path.join(root, 'data');
  await writeDemoDataset({ out: data, identities: 3, images: 6, size: 48, seed: 3 });
  const trainer = new Trainer({
    data,
    out: path.join(root, 'run'),
    arch: 'mobilefacenet',
    embeddingDim: 128,
    inputSize: 112,
    batchSize: 6,
    epochs: 2,
    warmupEpochs: 0,
    holdoutPerClass: 0,
    amp: 'off',
    threads: 1,
    workers: 1,
  });
  const losses: number[] = [];
  trainer.on('log', () => undefined);
  trainer.on('step', (e: { loss: number }) => losses.push(e.loss));
  await trainer.fit();
  expect(losses.length).toBeGreaterThanOrEqual(2);
  expect(losses.every(Number.isFinite)).toBe(true);
  const weights = path.join(root, 'run', 'model.safetensors');
  expect(await describeWeights(weights)).toMatchObject({ arch: 'mobilefacenet', embeddingDim: 128, inputSize: 112 });
  const model = await Model.fromFile(weights);
  const out = await model.forward(new Float32Array(2 * 3 * 112 * 112), [2, 3, 112, 112]);
  expect(out.embedding).toHaveLength(2 * 128);
  model.dispose();
});

test('ResNet-18 trains with the Trainer, saves with its arch, reloads and quantizes to int8', async () => {
  const root = tmpDir('student-train');
  const data = path.join(root, 'data');
  await writeDemoDataset({ out: data, identities: 3, images: 8, size: 40, seed: 2 });
  const trainer = new Trainer({
    data,
    out: path.join(root, 'run'),
    arch: 'resnet18',
    inputSize: 32,
    batchSize: 6,
    epochs: 3,
    lr: 0.05,
    warmupEpochs: 0,
    holdoutPerClass: 0,
    amp: 'off',
    threads: 1,
    workers: 1,
  });
  const losses: number[] = [];
  trainer.on('log', () => undefined);
  trainer.on('step', (e: { loss: number }) => losses.push(e.loss));
  await trainer.fit();
  expect(losses.length).toBeGreaterThanOrEqual(3);
  expect(losses.every(Number.isFinite)).toBe(true);
  const weights = path.join(root, 'run', 'model.safetensors');
  expect((await describeWeights(weights)).arch).toBe('resnet18');

  const model = await Model.fromFile(weights);
  expect(model.config.arch).toBe('resnet18');
  const faces = (
    await calibrationBatches(
      new ImageListDataset(
        [1, 2, 3, 4, 5, 6, 7, 8].map((i) => path.join(dataDir, 'cfp/Data/Images', `00${i}`, 'frontal/01.jpg')),
        'cfp',
      ),
      { size: 32, crop: 'none' },
    )
  ).batches;
  const q = await model.quantize({ mode: 'static', calibration: path.join(dataDir, 'orl'), images: 32, crop: 'none' });
  expect((await agreement(model, q, faces)).meanCosine).toBeGreaterThanOrEqual(0.98);
  const folded = await model.quantize({ mode: 'folded' });
  const x = faces[0];
  expect(
    relativeError((await folded.forward(x.data, x.shape)).features, (await model.forward(x.data, x.shape)).features),
  ).toBeLessThan(1e-4);
  for (const m of [q, folded, model]) m.dispose();
  expect(fs.existsSync(weights)).toBe(true);
});
