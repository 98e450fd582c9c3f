/** The models: parameter counts, torchvision's names and initialisation, any input size. */
import path from 'path';
import { Model, RECIPE_DEFAULTS } from '../lib';
import { colourBatch } from './helpers/batches';
import { tmpDir } from './helpers/paths';
import { readSafetensors } from './helpers/safetensors';

test.each([
  ['resnet50', 8631, 41192951],
  ['senet50', 8631, 43723943],
  ['resnet50', 1000, 25557032],
  ['senet50', 1000, 28088024],
] as const)('%s with %d classes has %d parameters', async (arch, numClasses, count) => {
  const model = await Model.create({ arch, numClasses });
  expect(model.parameterCount).toBe(count);
  model.dispose();
});

describe("torchvision's names and initialisation", () => {
  let tensors: ReturnType<typeof readSafetensors>['tensors'];
  beforeAll(async () => {
    const model = await Model.create({ arch: 'senet50', numClasses: 100, seed: 1 });
    const file = path.join(tmpDir('init'), 'init.safetensors');
    await model.save(file);
    model.dispose();
    tensors = readSafetensors(file).tensors;
  });

  const stats = (name: string) => {
    const d = tensors.get(name)!.data as Float32Array;
    const mean = d.reduce((s, v) => s + v, 0) / d.length;
    const std = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length);
    return {
      mean,
      std,
      min: d.reduce((a, v) => Math.min(a, v), Infinity),
      max: d.reduce((a, v) => Math.max(a, v), -Infinity),
    };
  };

  test('parameter and buffer names', () => {
    for (const name of [
      'conv1.weight',
      'bn1.running_mean',
      'bn1.num_batches_tracked',
      'layer1.0.conv2.weight',
      'layer1.0.downsample.0.weight',
      'layer1.0.downsample.1.num_batches_tracked',
      'layer4.2.se.fc.0.weight',
      'layer4.2.se.fc.2.bias',
      'fc.weight',
      'fc.bias',
    ]) {
      expect(tensors.has(name)).toBe(true);
    }
    expect(tensors.get('layer2.0.conv2.weight')!.shape).toEqual([128, 128, 3, 3]); // stride on the 3x3 conv (v1.5)
    expect(tensors.get('layer3.1.se.fc.0.weight')!.shape).toEqual([64, 1024]); // reduction 16
  });

  test('convs: Kaiming normal, fan-out, ReLU gain', () => {
    for (const [name, fanOut] of [
      ['conv1.weight', 64 * 49],
      ['layer3.0.conv2.weight', 256 * 9],
      ['layer4.0.conv3.weight', 2048],
    ] as const) {
      const s = stats(name);
      expect(Math.abs(s.mean)).toBeLessThan(0.05 * Math.sqrt(2 / fanOut) + 1e-4);
      expect(s.std / Math.sqrt(2 / fanOut)).toBeGreaterThan(0.95);
      expect(s.std / Math.sqrt(2 / fanOut)).toBeLessThan(1.05);
    }
  });

  test('BatchNorm weight 1, bias 0; Linear as PyTorch default (uniform within 1/sqrt(fan_in))', () => {
    expect(stats('layer2.1.bn2.weight')).toMatchObject({ min: 1, max: 1 });
    expect(stats('layer2.1.bn2.bias')).toMatchObject({ min: 0, max: 0 });
    const fc = stats('fc.weight');
    const bound = 1 / Math.sqrt(2048);
    expect(fc.max).toBeLessThanOrEqual(bound);
    expect(fc.min).toBeGreaterThanOrEqual(-bound);
    expect(fc.std).toBeGreaterThan((bound / Math.sqrt(3)) * 0.95); // uniform(-b, b) has std b/sqrt(3)
  });
});

test('any input size >= 32, square or not, through the same model', async () => {
  const model = await Model.create({ numClasses: 4, seed: 2 });
  for (const [h, w] of [
    [32, 32],
    [37, 53],
    [112, 96],
  ]) {
    const x = new Uint8Array(2 * h * w * 3).fill(90);
    const out = await model.forward(x, [2, h, w, 3]);
    expect(out.features.length).toBe(2 * 2048);
    expect(out.logits.every(Number.isFinite)).toBe(true);
  }
  const { x, shape } = colourBatch(2, 32, 2);
  expect((await model.forward(x, shape)).logits.length).toBe(8);
  model.dispose();
});

test('Model.create gives the engine the recipe defaults (lib/recipe.ts), the margin per loss; options win', async () => {
  const { momentum, weightDecay, marginScale, margin } = RECIPE_DEFAULTS;
  for (const loss of ['arcface', 'cosface'] as const) {
    const model = await Model.create({ numClasses: 3, loss });
    expect(model.config).toMatchObject({ loss, momentum, weightDecay, marginScale, margin: margin[loss] });
    model.dispose();
  }
  expect(margin.arcface).not.toBe(margin.cosface);
  const model = await Model.create({ numClasses: 3, loss: 'cosface', momentum: 0.5, weightDecay: 0, margin: 0.2 });
  expect(model.config).toMatchObject({ momentum: 0.5, weightDecay: 0, marginScale, margin: 0.2 });
  model.dispose();
});
