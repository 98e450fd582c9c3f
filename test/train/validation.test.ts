/** Validation scores: top-k hits of logits rows, and verification AUC / EER on pairs of held-out embeddings. */
import { pairVerification, topkHits } from '../../lib/train/validation';

test('top-1 / top-k: the rank of the target among the logits (ties in its favour)', () => {
  const logits = Float32Array.from([0.1, 0.9, 0.0, /**/ 0.5, 0.2, 0.5, /**/ 0.0, 0.1, 0.2]);
  expect(topkHits(logits, [1, 0, 0], 3, 2)).toEqual({ top1: 2, topk: 2 });
});

test('pair verification: AUC and EER of cosine similarities over every pair (by hand)', () => {
  // Two identities, two images each, in 2-d: genuine pairs (0,1) and (2,3); impostors the rest.
  const f = (rows: number[][]) => Float32Array.from(rows.flat());
  const perfect = pairVerification(
    f([
      [1, 0],
      [2, 0.1],
      [0, 1],
      [0.1, 3],
    ]),
    [0, 0, 1, 1],
    2,
  )!;
  expect(perfect).toEqual({ auc: 1, eer: 0, pairs: 6 });
  // Image 3 looks like identity 0: genuine (2,3) scores below the impostors (0,3) and (1,3).
  const r = pairVerification(
    f([
      [1, 0],
      [1, 0.1],
      [0, 1],
      [1, 0.05],
    ]),
    [0, 0, 1, 1],
    2,
  )!;
  // Scores: g(0,1) .995, i(0,2) 0, i(0,3) .9988, i(1,2) .0995, i(1,3) .9999, g(2,3) .05.
  // Ranked: i i g i g i → of 2×4 genuine/impostor orderings, genuine wins 1 + 2 = 3: AUC 3/8.
  expect(r.auc).toBeCloseTo(3 / 8, 12);
  expect(r.pairs).toBe(6);
  // One identity only: no impostor pairs, no score.
  expect(
    pairVerification(
      f([
        [1, 0],
        [0, 1],
      ]),
      [0, 0],
      2,
    ),
  ).toBeUndefined();
});
