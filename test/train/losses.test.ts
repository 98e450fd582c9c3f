/**
 * Losses in the native training step, at formula level: with BatchNorm frozen a training forward
 * equals the eval forward, so the loss of a step can be recomputed from forward()'s logits
 * (s·cos θ for the margin losses) by an independent PyTorch computation. Accumulation with frozen BN.
 */
import { Model } from '../../lib/model';
import { colourBatch } from '../helpers/batches';
import { python, pythonHas } from '../helpers/paths';

const size = 32;
const torchOk = pythonHas('torch');

/** PyTorch's answer: margin on the target cosine, then (weighted, smoothed) cross-entropy. */
function torchLoss(
  logits: number[][],
  labels: number[],
  kind: string,
  s: number,
  m: number,
  weights: number[] | null,
  smoothing: number,
): number {
  const script = `
import json, math, sys, torch, torch.nn.functional as F
a = json.loads(sys.argv[1])
z = torch.tensor(a['logits'], dtype=torch.float64); y = torch.tensor(a['labels'])
s, m = a['s'], a['m']
if a['kind'] != 'softmax':
    cos = z / s
    c = cos.gather(1, y[:, None])
    if a['kind'] == 'cosface':
        t = c - m
    else:
        theta = torch.acos(c.clamp(-1, 1))
        # cos(θ + m) while θ + m ≤ π, else InsightFace's cos θ − m·sin m
        t = torch.where(theta + m <= math.pi, torch.cos(theta + m), c - m * math.sin(m))
    z = z.scatter(1, y[:, None], t * s)
w = torch.tensor(a['w'], dtype=torch.float64) if a['w'] else None
print(F.cross_entropy(z, y, weight=w, label_smoothing=a['ls']).item())
`;
  return Number(python(['-c', script, JSON.stringify({ logits, labels, kind, s, m, w: weights, ls: smoothing })]));
}

const rows = (flat: Float32Array, n: number, c: number) =>
  Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * c, (i + 1) * c)));

(torchOk ? describe : describe.skip).each([
  ['softmax', 64, 0, [1, 2, 0.5, 1.5, 1], 0.1],
  ['arcface', 8, 0.5, null, 0],
  ['arcface', 16, 0.3, [0.5, 1, 2, 1, 1], 0.1],
  ['cosface', 8, 0.35, null, 0],
] as const)('%s s=%d m=%d weights=%j smoothing=%d', (kind, s, m, weights, smoothing) => {
  test('the step loss matches PyTorch on the same logits', async () => {
    const classes = 5;
    const model = await Model.create({
      numClasses: classes,
      seed: 4,
      loss: kind,
      marginScale: s,
      margin: m,
      classWeights: weights ? Float32Array.from(weights) : undefined,
    });
    try {
      const { x, labels, shape } = colourBatch(6, size, classes, 7);
      const f = await model.forward(x, shape);
      if (kind !== 'softmax') {
        // A normalised classifier: every logit is s·cos θ.
        expect(Math.max(...Array.from(f.logits, Math.abs))).toBeLessThanOrEqual(s * (1 + 1e-5));
      }
      const r = await model.trainStep(x, shape, labels, {
        lr: 0,
        apply: false,
        freezeBatchNorm: true,
        labelSmoothing: smoothing,
      });
      const expected = torchLoss(
        rows(f.logits, 6, classes),
        Array.from(labels),
        kind,
        s,
        m,
        weights ? [...weights] : null,
        smoothing,
      );
      expect(Math.abs(r.loss - expected)).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected)));
      // Margins make the loss larger than plain softmax on the same cosines.
      if (kind !== 'softmax' && m > 0)
        expect(r.loss).toBeGreaterThan(
          torchLoss(
            rows(f.logits, 6, classes),
            Array.from(labels),
            'softmax',
            s,
            0,
            weights ? [...weights] : null,
            smoothing,
          ),
        );
    } finally {
      model.dispose();
    }
  });
});

test('a margin-loss model saves its normalised classifier and loads back predicting the same', async () => {
  const { tmpDir } = await import('../helpers/paths');
  const file = `${tmpDir('arc')}/m.safetensors`;
  const a = await Model.create({ numClasses: 4, seed: 2, loss: 'arcface', marginScale: 10 });
  const { x, shape } = colourBatch(3, size, 4, 1);
  const fa = await a.forward(x, shape);
  await a.save(file);
  a.dispose();
  const b = await Model.fromFile(file);
  expect(b.config).toMatchObject({ loss: 'arcface', marginScale: 10 });
  const fb = await b.forward(x, shape);
  for (let i = 0; i < fa.logits.length; i++) expect(fb.logits[i]).toBeCloseTo(fa.logits[i], 5);
  b.dispose();
});

test('accumulation with frozen BatchNorm: two micro-batches of 3 = one batch of 6', async () => {
  const { x, labels, shape } = colourBatch(6, size, 3, 11);
  const half = x.length / 2;
  const a = await Model.create({ numClasses: 3, seed: 5 });
  const b = await Model.create({ numClasses: 3, seed: 5 });
  try {
    const o = { lr: 0.05, freezeBatchNorm: true };
    await a.trainStep(x.subarray(0, half), [3, size, size, 3], labels.subarray(0, 3), {
      ...o,
      apply: false,
      lossDivisor: 2,
    });
    await a.trainStep(x.subarray(half), [3, size, size, 3], labels.subarray(3), { ...o, apply: true, lossDivisor: 2 });
    await b.trainStep(x, shape, labels, o);
    const fa = await a.forward(x, shape);
    const fb = await b.forward(x, shape);
    let maxDiff = 0;
    for (let i = 0; i < fa.features.length; i++) maxDiff = Math.max(maxDiff, Math.abs(fa.features[i] - fb.features[i]));
    expect(maxDiff).toBeLessThan(1e-3);
    // …and the update did something: one more step moves the features far more than that.
    const before = fb.features.slice();
    await b.trainStep(x, shape, labels, o);
    const fc = await b.forward(x, shape);
    let moved = 0;
    for (let i = 0; i < fc.features.length; i++) moved = Math.max(moved, Math.abs(fc.features[i] - before[i]));
    expect(moved).toBeGreaterThan(100 * maxDiff);
  } finally {
    a.dispose();
    b.dispose();
  }
});
