/**
 * Verification and identification metrics on similarity scores (higher = more alike).
 * Definitions (docs/evaluation.md): the ROC is empirical — one point per distinct score, a pair
 * is accepted when score ≥ threshold; TAR@FAR=x is read at the lowest threshold whose FAR ≤ x
 * (no interpolation); the EER is the mean of FAR and FRR at the ROC point where they are closest.
 */

export interface Roc {
  /** Decreasing; thresholds[0] = +Infinity (nothing accepted). */
  thresholds: Float64Array;
  /** False accept rate (impostor pairs with score ≥ threshold), non-decreasing. */
  far: Float64Array;
  /** True accept rate (genuine pairs with score ≥ threshold), non-decreasing. */
  tar: Float64Array;
  genuine: number;
  impostor: number;
}

export type Labels = ArrayLike<boolean | number>;

function checkScores(scores: ArrayLike<number>, same: Labels): { genuine: number; impostor: number } {
  if (scores.length !== same.length) throw new RangeError(`${scores.length} scores but ${same.length} labels`);
  let genuine = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new RangeError(`score ${i} is ${scores[i]}: scores must be finite numbers`);
    if (same[i]) genuine++;
  }
  const impostor = scores.length - genuine;
  if (genuine === 0 || impostor === 0) {
    throw new RangeError(`a ROC needs both genuine and impostor pairs (got ${genuine} genuine, ${impostor} impostor)`);
  }
  return { genuine, impostor };
}

/** Empirical ROC; tied scores form one point (they are accepted or rejected together). */
export function roc(scores: ArrayLike<number>, same: Labels): Roc {
  const { genuine, impostor } = checkScores(scores, same);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const th = [Infinity];
  const far = [0];
  const tar = [0];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (same[i]) tp++;
    else fp++;
    if (k + 1 < order.length && scores[order[k + 1]] === scores[i]) continue;
    th.push(scores[i]);
    far.push(fp / impostor);
    tar.push(tp / genuine);
  }
  return {
    thresholds: Float64Array.from(th),
    far: Float64Array.from(far),
    tar: Float64Array.from(tar),
    genuine,
    impostor,
  };
}

/** Area under the ROC (trapezoids; ties count half, as the Mann-Whitney statistic). */
export function auc(r: Roc): number {
  let area = 0;
  for (let i = 1; i < r.far.length; i++) area += ((r.far[i] - r.far[i - 1]) * (r.tar[i] + r.tar[i - 1])) / 2;
  return area;
}

export interface Eer {
  eer: number;
  threshold: number;
  far: number;
  frr: number;
}

/** Equal error rate: at the ROC point where |FAR − FRR| is smallest (the first such), their mean. */
export function eer(r: Roc): Eer {
  let best = 0;
  let gap = Infinity;
  for (let i = 0; i < r.far.length; i++) {
    const d = Math.abs(r.far[i] - (1 - r.tar[i]));
    if (d < gap) {
      gap = d;
      best = i;
    }
  }
  const far = r.far[best];
  const frr = 1 - r.tar[best];
  return { eer: (far + frr) / 2, threshold: r.thresholds[best], far, frr };
}

export interface OperatingPoint {
  /** The FAR asked for. */
  target: number;
  tar: number;
  /** The FAR actually reached (≤ target). */
  far: number;
  threshold: number;
}

/**
 * TAR at FAR = x: the ROC point with the lowest threshold whose FAR is still ≤ x. When x is
 * below 1/impostors the answer is the strictest point (often TAR 0): the data cannot resolve it.
 */
export function tarAtFar(r: Roc, target: number): OperatingPoint {
  let k = 0;
  for (let i = 0; i < r.far.length; i++) if (r.far[i] <= target) k = i;
  return { target, tar: r.tar[k], far: r.far[k], threshold: r.thresholds[k] };
}

/** Accuracy of "same iff score ≥ threshold". */
export function accuracyAt(scores: ArrayLike<number>, same: Labels, threshold: number): number {
  let right = 0;
  for (let i = 0; i < scores.length; i++) if (scores[i] >= threshold === Boolean(same[i])) right++;
  return right / scores.length;
}

/**
 * The threshold with the best accuracy: candidates are the midpoints between consecutive distinct
 * scores (and one below / above all); ties go to the lowest candidate.
 */
export function bestThreshold(
  scores: ArrayLike<number>,
  same: Labels,
  balanced = false,
): { threshold: number; accuracy: number } {
  if (scores.length === 0) throw new RangeError('bestThreshold: no scores');
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  // Balanced: each pair weighs 1/(pairs of its class), so the result is (TAR + TRR) / 2 and
  // answering "different" always scores 0.5 however few genuine pairs there are.
  let genuine = 0;
  for (let i = 0; i < scores.length; i++) if (same[i]) genuine++;
  const impostor = scores.length - genuine;
  // Counts, not running sums of weights: the accuracies are exact ratios (no drift over 1e6 pairs).
  const acc = (tp: number, tn: number) =>
    balanced ? ((genuine ? tp / genuine : 0) + (impostor ? tn / impostor : 0)) / 2 : (tp + tn) / scores.length;
  // Sweep upwards: below everything every pair is accepted; each step rejects one more score group.
  let tp = genuine;
  let tn = 0;
  let best = { threshold: scores[order[0]] - 1, accuracy: acc(tp, tn) };
  for (let k = 0; k < order.length; k++) {
    if (same[order[k]]) tp--;
    else tn++;
    const next = k + 1 < order.length ? scores[order[k + 1]] : undefined;
    if (next === scores[order[k]]) continue;
    const t = next === undefined ? scores[order[k]] + 1 : (scores[order[k]] + next) / 2;
    const a = acc(tp, tn);
    if (a > best.accuracy) best = { threshold: t, accuracy: a };
  }
  return best;
}

export interface FoldResult {
  fold: number;
  /** Chosen on the other folds. */
  threshold: number;
  accuracy: number;
  pairs: number;
}

export interface KFoldResult {
  folds: FoldResult[];
  mean: number;
  /** Population standard deviation over folds (as the LFW and insightface scripts report). */
  std: number;
}

/** k-fold accuracy: each fold is scored at the threshold that is best on all the other folds. */
export function kFoldAccuracy(scores: ArrayLike<number>, same: Labels, fold: ArrayLike<number>): KFoldResult {
  if (fold.length !== scores.length) throw new RangeError(`${scores.length} scores but ${fold.length} fold ids`);
  const ids = [...new Set(Array.from(fold))].sort((a, b) => a - b);
  if (ids.length < 2) throw new RangeError(`k-fold accuracy needs at least 2 folds (got ${ids.length})`);
  const folds = ids.map((f) => {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < scores.length; i++) (fold[i] === f ? test : train).push(i);
    const pick = (idx: number[]) => ({ s: idx.map((i) => scores[i]), y: idx.map((i) => same[i]) });
    const tr = pick(train);
    const te = pick(test);
    const { threshold } = bestThreshold(tr.s, tr.y);
    return { fold: f, threshold, accuracy: accuracyAt(te.s, te.y, threshold), pairs: test.length };
  });
  const mean = folds.reduce((a, f) => a + f.accuracy, 0) / folds.length;
  const std = Math.sqrt(folds.reduce((a, f) => a + (f.accuracy - mean) ** 2, 0) / folds.length);
  return { folds, mean, std };
}

/** Fold ids 0..k−1 for n items cut into k contiguous, near-equal parts (sklearn's KFold without shuffling). */
export function contiguousFolds(n: number, k: number): Int32Array {
  if (k < 2 || k > n) throw new RangeError(`cannot cut ${n} items into ${k} folds`);
  const out = new Int32Array(n);
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    out.fill(f, start, start + size);
    start += size;
  }
  return out;
}

/** Similarities of probes (rows) to gallery entries (columns), row-major. */
export interface ScoreMatrix {
  scores: ArrayLike<number>;
  probes: number;
  gallery: number;
}

/**
 * Rank of each probe's identity: 1 + the number of other gallery identities whose best score is
 * ≥ the true identity's best score (ties counted against the probe). Identities are compared by
 * their best-scoring gallery entry. Probes whose identity is not in the gallery get rank 0.
 */
export function ranks(m: ScoreMatrix, probeLabels: ArrayLike<number>, galleryLabels: ArrayLike<number>): Int32Array {
  if (m.gallery === 0 || galleryLabels.length === 0) throw new RangeError('identification needs a non-empty gallery');
  if (probeLabels.length !== m.probes || galleryLabels.length !== m.gallery)
    throw new RangeError('score matrix and labels disagree in size');
  const ids = [...new Set(Array.from(galleryLabels))];
  const col = new Map(ids.map((id, k) => [id, k]));
  const best = new Float64Array(ids.length);
  const out = new Int32Array(m.probes);
  for (let p = 0; p < m.probes; p++) {
    best.fill(-Infinity);
    for (let g = 0; g < m.gallery; g++) {
      const k = col.get(galleryLabels[g])!;
      const s = m.scores[p * m.gallery + g];
      if (s > best[k]) best[k] = s;
    }
    const mine = col.get(probeLabels[p]);
    if (mine === undefined) continue;
    let rank = 1;
    for (let k = 0; k < ids.length; k++) if (k !== mine && best[k] >= best[mine]) rank++;
    out[p] = rank;
  }
  return out;
}

/** Cumulative match characteristic: cmc[k−1] = share of (mated) probes with rank ≤ k, for k = 1..maxRank. */
export function cmc(rankOf: ArrayLike<number>, maxRank: number): Float64Array {
  const mated = Array.from(rankOf).filter((r) => r > 0);
  if (mated.length === 0) throw new RangeError('no probe has its identity in the gallery');
  const out = new Float64Array(maxRank);
  for (const r of mated) if (r <= maxRank) out[r - 1]++;
  for (let k = 1; k < maxRank; k++) out[k] += out[k - 1];
  for (let k = 0; k < maxRank; k++) out[k] /= mated.length;
  return out;
}

export interface OpenSetPoint {
  /** The FPIR asked for. */
  target: number;
  /** Mated probes identified at rank 1 with a score ≥ threshold. */
  tpir: number;
  fpir: number;
  threshold: number;
}

/**
 * Open-set identification: a probe raises an alarm when its best gallery score is ≥ threshold.
 * FPIR = share of non-mated probes that raise one; TPIR = share of mated probes whose rank-1
 * identity is right and scores ≥ threshold. Read at the lowest threshold with FPIR ≤ target.
 */
export function tpirAtFpir(
  m: ScoreMatrix,
  probeLabels: ArrayLike<number>,
  galleryLabels: ArrayLike<number>,
  targets: number[],
): OpenSetPoint[] {
  const rankOf = ranks(m, probeLabels, galleryLabels);
  const top = new Float64Array(m.probes).fill(-Infinity);
  for (let p = 0; p < m.probes; p++)
    for (let g = 0; g < m.gallery; g++) top[p] = Math.max(top[p], m.scores[p * m.gallery + g]);
  const hits: number[] = [];
  const nonMated: number[] = [];
  for (let p = 0; p < m.probes; p++) {
    if (rankOf[p] === 0) nonMated.push(top[p]);
    else if (rankOf[p] === 1) hits.push(top[p]);
  }
  const mated = m.probes - nonMated.length;
  if (nonMated.length === 0 || mated === 0) {
    throw new RangeError(
      `open-set identification needs mated and non-mated probes (got ${mated} mated, ${nonMated.length} non-mated)`,
    );
  }
  // The empirical curve: one point per distinct top score, as for the ROC.
  const cands = [...new Set([...hits, ...nonMated])].sort((a, b) => b - a);
  return targets.map((target) => {
    let best: OpenSetPoint = { target, tpir: 0, fpir: 0, threshold: Infinity };
    for (const t of cands) {
      const fpir = nonMated.filter((s) => s >= t).length / nonMated.length;
      if (fpir > target) break;
      best = { target, tpir: hits.filter((s) => s >= t).length / mated, fpir, threshold: t };
    }
    return best;
  });
}
