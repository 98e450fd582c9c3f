import * as fs from 'fs';
import * as path from 'path';
import { mulberry32 } from '../../lib/random';
import {
  accuracyAt,
  auc,
  bestThreshold,
  cmc,
  contiguousFolds,
  eer,
  kFoldAccuracy,
  ranks,
  roc,
  tarAtFar,
  tpirAtFpir,
} from '../../lib/eval/metrics';
import { python, pythonHas, tmpDir } from '../helpers/paths';

describe('ROC, AUC, EER, TAR@FAR on hand-computed cases', () => {
  test('a tiny ROC', () => {
    const r = roc([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]);
    expect(Array.from(r.thresholds)).toEqual([Infinity, 0.9, 0.8, 0.7, 0.6]);
    expect(Array.from(r.far)).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(Array.from(r.tar)).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(auc(r)).toBeCloseTo(0.75, 12); // 3 of 4 genuine–impostor pairs ordered right
    expect(eer(r)).toEqual({ eer: 0.5, threshold: 0.8, far: 0.5, frr: 0.5 });
    expect(tarAtFar(r, 0.1)).toEqual({ target: 0.1, tar: 0.5, far: 0, threshold: 0.9 });
    expect(tarAtFar(r, 0.5)).toEqual({ target: 0.5, tar: 1, far: 0.5, threshold: 0.7 });
    // 0.65 and 0.85 both reach 0.75: the lower wins.
    const best = bestThreshold([0.9, 0.8, 0.7, 0.6], [1, 0, 1, 0]);
    expect(best.accuracy).toBe(0.75);
    expect(best.threshold).toBeCloseTo(0.65, 12);
  });

  test('ties form one point and count half in the AUC', () => {
    const r = roc([0.5, 0.5, 0.2, 0.9], [true, false, false, true]);
    expect(Array.from(r.thresholds)).toEqual([Infinity, 0.9, 0.5, 0.2]);
    expect(Array.from(r.far)).toEqual([0, 0, 0.5, 1]);
    expect(Array.from(r.tar)).toEqual([0, 0.5, 1, 1]);
    expect(auc(r)).toBeCloseTo(0.875, 12);
    expect(accuracyAt([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1], 0.5)).toBe(0.75);
  });

  test('all-equal scores: chance AUC, EER 0.5, nothing resolvable at low FAR', () => {
    const r = roc([0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0]);
    expect(r.far.length).toBe(2);
    expect(auc(r)).toBe(0.5);
    expect(eer(r).eer).toBe(0.5);
    expect(tarAtFar(r, 0.01)).toMatchObject({ tar: 0, far: 0, threshold: Infinity });
    expect(bestThreshold([0.3, 0.3, 0.3, 0.3], [1, 0, 1, 0]).accuracy).toBe(0.5);
  });

  test('one class only, NaN scores, length mismatch: clear errors', () => {
    expect(() => roc([0.1, 0.2], [1, 1])).toThrow(/both genuine and impostor pairs \(got 2 genuine, 0 impostor\)/);
    expect(() => roc([0.1, 0.2], [0, 0])).toThrow(/got 0 genuine, 2 impostor/);
    expect(() => roc([0.1, NaN], [0, 1])).toThrow(/score 1 is NaN/);
    expect(() => roc([0.1], [0, 1])).toThrow(/1 scores but 2 labels/);
  });

  test('k-fold accuracy chooses each threshold on the other folds only', () => {
    // Fold 0 alone would want 0.45, fold 1 alone 0.55; each is scored at the other's.
    const scores = [0.5, 0.4, 0.8, 0.3];
    const same = [1, 0, 1, 0];
    const k = kFoldAccuracy(scores, same, [0, 0, 1, 1]);
    expect(k.folds[0].threshold).toBeCloseTo(0.55, 12);
    expect(k.folds[1].threshold).toBeCloseTo(0.45, 12);
    expect(k.folds.map((f) => f.accuracy)).toEqual([0.5, 1]);
    expect(k.mean).toBe(0.75);
    expect(k.std).toBe(0.25);
    expect(() => kFoldAccuracy(scores, same, [0, 0, 0, 0])).toThrow(/at least 2 folds/);
    expect(Array.from(contiguousFolds(7, 3))).toEqual([0, 0, 0, 1, 1, 2, 2]);
  });

  test('rank-k, CMC and open-set TPIR@FPIR by hand', () => {
    // 3 probes × 4 gallery entries (identities 10, 10, 20, 30); probe 2 is of an unknown identity 40.
    const scores = [0.9, 0.1, 0.5, 0.2, /**/ 0.3, 0.2, 0.6, 0.6, /**/ 0.1, 0.2, 0.7, 0.4];
    const m = { scores, probes: 3, gallery: 4 };
    const r = ranks(m, [10, 30, 40], [10, 10, 20, 30]);
    expect(Array.from(r)).toEqual([1, 2, 0]); // probe 1 ties with identity 20: counted against it
    expect(Array.from(cmc(r, 3))).toEqual([0.5, 1, 1]);
    const [p] = tpirAtFpir(m, [10, 30, 40], [10, 10, 20, 30], [0]);
    // The unknown probe's best score is 0.7: thresholds above it keep FPIR 0; probe 0 (0.9) passes.
    expect(p).toEqual({ target: 0, tpir: 0.5, fpir: 0, threshold: 0.9 });
    expect(() => ranks({ scores: [], probes: 1, gallery: 0 }, [1], [])).toThrow(/non-empty gallery/);
    expect(() => tpirAtFpir(m, [10, 30, 10], [10, 10, 20, 30], [0.1])).toThrow(/non-mated/);
  });
});

const haveSklearn = pythonHas('sklearn');
if (!haveSklearn)
  process.stderr.write('note: /usr/bin/python3 has no scikit-learn; the sklearn comparison is skipped\n');

(haveSklearn ? describe : describe.skip)('against scikit-learn on random scores', () => {
  test('AUC, EER, TAR@FAR and top-k accuracy agree', () => {
    const rand = mulberry32(7);
    const n = 3000;
    // Rounded to 2 decimals so that there are many ties.
    const same = Array.from({ length: n }, () => (rand() < 0.3 ? 1 : 0));
    const scores = same.map((s) => Math.round((rand() + (s ? 0.35 : 0)) * 100) / 100);
    const probes = 200;
    const classes = 25;
    const labels = Array.from({ length: probes }, () => Math.floor(rand() * classes));
    const matrix = Array.from(
      { length: probes * classes },
      (_, i) => rand() + (labels[Math.floor(i / classes)] === i % classes ? 0.3 : 0),
    );
    const dir = tmpDir('sk');
    const input = path.join(dir, 'in.json');
    fs.writeFileSync(input, JSON.stringify({ scores, same, matrix, labels, classes }));
    const script = `
import json, sys, numpy as np
from sklearn.metrics import roc_auc_score, roc_curve, top_k_accuracy_score
d = json.load(open(sys.argv[1]))
y, s = np.array(d['same']), np.array(d['scores'])
fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
i = int(np.argmin(np.abs(fpr - (1 - tpr))))
tar = {str(x): float(tpr[np.nonzero(fpr <= x)[0][-1]]) for x in (1e-3, 1e-2, 1e-1)}
m = np.array(d['matrix']).reshape(-1, d['classes'])
topk = {str(k): float(top_k_accuracy_score(d['labels'], m, k=k, labels=list(range(d['classes'])))) for k in (1, 5)}
print(json.dumps({'auc': roc_auc_score(y, s), 'eer': (fpr[i] + 1 - tpr[i]) / 2, 'tar': tar, 'topk': topk, 'points': len(fpr)}))
`;
    const sk = JSON.parse(python(['-c', script, input]));
    const r = roc(scores, same);
    expect(r.far.length).toBe(sk.points);
    expect(auc(r)).toBeCloseTo(sk.auc, 10);
    expect(eer(r).eer).toBeCloseTo(sk.eer, 10);
    for (const x of [1e-3, 1e-2, 1e-1]) expect(tarAtFar(r, x).tar).toBeCloseTo(sk.tar[String(x)], 10);
    const rk = ranks(
      { scores: matrix, probes, gallery: classes },
      labels,
      Array.from({ length: classes }, (_, c) => c),
    );
    const curve = cmc(rk, 5);
    expect(curve[0]).toBeCloseTo(sk.topk['1'], 10);
    expect(curve[4]).toBeCloseTo(sk.topk['5'], 10);
  });
});
