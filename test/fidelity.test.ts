/**
 * Fidelity against PyTorch: ../shared/reference/oracle.py writes seeded weights (a real
 * torch.save state_dict, BatchNorm statistics randomised), an input and the reference outputs; our
 * model loads the .pth and must match logits and features with relative error <= 1e-4, judged by
 * ../shared/reference/compare.py.
 */
import path from 'path';
import { Model } from '../lib';
import { readNpy, writeNpy } from '../lib/io/npy';
import { python, referenceDir, tmpDir } from './helpers/paths';

const cases: Array<['resnet50' | 'senet50', number]> = [
  ['resnet50', 112],
  ['resnet50', 224],
  ['senet50', 112],
  ['senet50', 224],
];

describe.each(cases)('%s at %d px matches PyTorch', (arch, size) => {
  const dir = tmpDir(`oracle-${arch}-${size}`);
  let model: Model;

  beforeAll(async () => {
    python([
      'oracle.py',
      '--arch',
      arch,
      '--classes',
      '100',
      '--size',
      String(size),
      '--batch',
      '2',
      '--seed',
      '3',
      '--out',
      dir,
    ]);
    model = await Model.fromFile(path.join(dir, 'weights.pth'));
  });
  afterAll(() => model?.dispose());

  test('the .pth state_dict loads with the right shape of model', () => {
    expect(model.config.arch).toBe(arch);
    expect(model.config.numClasses).toBe(100);
  });

  test('features and logits within 1e-4 relative error (compare.py)', async () => {
    const input = readNpy(path.join(dir, 'input.npy'));
    const out = await model.forward(input.data as Float32Array, input.shape);
    writeNpy(path.join(dir, 'ours_features.npy'), { shape: [2, 2048], data: out.features });
    writeNpy(path.join(dir, 'ours_logits.npy'), { shape: [2, 100], data: out.logits });
    for (const name of ['features', 'logits']) {
      const report = python([
        path.join(referenceDir, 'compare.py'),
        path.join(dir, `${name}.npy`),
        path.join(dir, `ours_${name}.npy`),
        '1e-4',
      ]);
      // compare.py exits non-zero over the tolerance (python() throws then); check its number too.
      const err = Number(/relative error (\S+)/.exec(report)?.[1]);
      expect(err).toBeGreaterThanOrEqual(0);
      expect(err).toBeLessThan(1e-4);
    }
  });
});
