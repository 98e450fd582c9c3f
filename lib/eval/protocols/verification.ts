/** Shared by every pair protocol: scores of labelled pairs → ROC, AUC, EER, TAR@FAR, accuracy. */
import * as fs from 'fs';
import { rowOf } from '../embed';
import { ImageListDataset } from '../image-list';
import { auc, bestThreshold, eer, kFoldAccuracy, roc, tarAtFar } from '../metrics';
import { dot } from '../vectors';
import type { Embedder, MetricValue, Plots } from './types';

export const FAR_TARGETS = [1e-4, 1e-3, 1e-2];

export interface PairScores {
  scores: Float64Array | number[];
  same: boolean[];
  /** Fold id per pair; with ≥ 2 folds the accuracy is k-fold (threshold from the other folds). */
  fold?: ArrayLike<number>;
}

export interface VerificationSummary {
  metrics: Record<string, MetricValue>;
  folds: Record<string, number | string>[];
  roc: { far: number[]; tar: number[] };
  scores: { genuine: number[]; impostor: number[] };
}

const key = (x: number) => x.toExponential(0); // '1e-4', '1e-3', '1e-2'

export function summarisePairs(p: PairScores): VerificationSummary {
  const r = roc(p.scores, p.same);
  const e = eer(r);
  const tar: Record<string, MetricValue> = {};
  for (const x of FAR_TARGETS) tar[key(x)] = tarAtFar(r, x).tar;
  const metrics: Record<string, MetricValue> = {
    pairs: p.scores.length,
    genuine: r.genuine,
    impostor: r.impostor,
    auc: auc(r),
    eer: e.eer,
    eer_threshold: e.threshold,
    tar_at_far: tar,
  };
  let folds: Record<string, number | string>[] = [];
  if (p.fold && new Set(Array.from(p.fold)).size >= 2) {
    const k = kFoldAccuracy(p.scores, p.same, p.fold);
    metrics.accuracy = k.mean;
    metrics.accuracy_std = k.std;
    folds = k.folds.map((f) => ({ fold: f.fold, pairs: f.pairs, threshold: f.threshold, accuracy: f.accuracy }));
  } else {
    // One set only: the threshold is fitted on the same pairs (optimistic; named accordingly).
    const b = bestThreshold(p.scores, p.same);
    metrics.best_accuracy = b.accuracy;
    metrics.best_threshold = b.threshold;
    // With 1 genuine pair in 10, "always different" scores 0.9 accuracy: the balanced one says 0.5.
    const bb = bestThreshold(p.scores, p.same, true);
    metrics.best_balanced_accuracy = bb.accuracy;
    metrics.best_balanced_threshold = bb.threshold;
  }
  const genuine: number[] = [];
  const impostor: number[] = [];
  p.same.forEach((s, i) => (s ? genuine : impostor).push(p.scores[i]));
  return { metrics, folds, roc: { far: Array.from(r.far), tar: Array.from(r.tar) }, scores: { genuine, impostor } };
}

export function verificationPlots(named: Record<string, VerificationSummary>): Plots {
  const plots: Plots = { roc: {}, scores: {} };
  for (const [name, s] of Object.entries(named)) {
    plots.roc![name] = s.roc;
    plots.scores![name] = s.scores;
  }
  return plots;
}

export interface ImagePair {
  a: string;
  b: string;
  same: boolean;
  fold?: number;
  /** Where the pair was read, for error messages (file:line). */
  where: string;
}

/** Every image of the pairs must exist: the first missing ones are named with their pair's file:line. */
export function checkPairImages(pairs: ImagePair[]): void {
  const missing: string[] = [];
  const seen = new Map<string, boolean>();
  for (const p of pairs) {
    for (const img of [p.a, p.b]) {
      if (!seen.has(img)) seen.set(img, fs.existsSync(img));
      if (!seen.get(img) && missing.length < 5) missing.push(`${p.where}: ${img}`);
    }
  }
  const count = [...seen.values()].filter((ok) => !ok).length;
  if (count > 0) throw new Error(`${count} image(s) named by the pairs do not exist, e.g.\n  ${missing.join('\n  ')}`);
}

/** Embeds the distinct images of several pair sets once and scores each pair (cosine similarity). */
export async function scorePairSets<K extends string>(
  embed: Embedder,
  sets: Record<K, ImagePair[]>,
  what: string,
): Promise<Record<K, PairScores>> {
  const all = Object.values<ImagePair[]>(sets).flat();
  if (all.length === 0) throw new Error(`${what}: no pairs`);
  checkPairImages(all);
  const index = new Map<string, number>();
  for (const p of all) for (const img of [p.a, p.b]) if (!index.has(img)) index.set(img, index.size);
  const images = [...index.keys()];
  const e = await embed(new ImageListDataset(images, what));
  const rows = rowOf(e, images.length);
  const bad = images.filter((_, i) => rows[i] < 0);
  if (bad.length > 0)
    throw new Error(`${what}: ${bad.length} image(s) could not be read: ${bad.slice(0, 5).join(', ')}`);
  const out = {} as Record<K, PairScores>;
  for (const [name, pairs] of Object.entries<ImagePair[]>(sets)) {
    const scores = pairs.map((p) => dot(e.data, rows[index.get(p.a)!], e.data, rows[index.get(p.b)!], e.dim));
    const fold = pairs.every((p) => p.fold !== undefined) ? pairs.map((p) => p.fold!) : undefined;
    out[name as K] = { scores, same: pairs.map((p) => p.same), fold };
  }
  return out;
}

export async function scoreImagePairs(embed: Embedder, pairs: ImagePair[], what: string): Promise<PairScores> {
  return (await scorePairSets(embed, { pairs }, what)).pairs;
}
