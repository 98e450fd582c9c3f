/** What every protocol returns: numbers under stable keys (docs/evaluation.md), per-fold rows, and plot data. */
import type { Dataset } from '../../data/types';
import type { Embeddings } from '../embed';

export type ProtocolName = 'classify' | 'verify' | 'identify' | 'pose' | 'age' | 'pairs' | 'cfp' | 'bin';
export const PROTOCOLS: ProtocolName[] = ['classify', 'verify', 'identify', 'pose', 'age', 'pairs', 'cfp', 'bin'];

export type MetricValue = number | string | string[] | number[] | number[][] | { [key: string]: MetricValue };

/** Data for the report's plots (not part of the JSON output). */
export interface Plots {
  /** Verification: ROC points and the raw scores, per curve name (e.g. 'FF', 'FP'). */
  roc?: Record<string, { far: number[]; tar: number[] }>;
  scores?: Record<string, { genuine: number[]; impostor: number[] }>;
  /** Identification: CMC, cmc[k−1] = rate at rank k. */
  cmc?: number[];
  /** Pose / age: mean similarity between templates of the same identity, by kind. */
  matrix?: { kinds: string[]; values: number[][]; title: string };
}

export interface ProtocolResult {
  protocol: ProtocolName;
  /** What was evaluated, in words. */
  data: string;
  metrics: Record<string, MetricValue>;
  folds: Record<string, number | string>[];
  plots: Plots;
}

/** Turns a dataset into embeddings (a model in practice; synthetic vectors in the metric tests). */
export type Embedder = (dataset: Dataset) => Promise<Embeddings>;
