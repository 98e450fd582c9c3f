/** The JSON record of one evaluation (`--json`), and its metrics flattened for tables. */
import type { Model } from '../model';
import type { MetricValue, ProtocolName, ProtocolResult } from './protocols/types';

export interface EvalRecord {
  protocol: ProtocolName;
  weights: string;
  /** Unique among the models of one comparison (run folder name or shortest distinct path suffix). */
  label: string;
  model: {
    arch: string;
    num_classes: number;
    embedding_dim: number;
    input_size: number;
    output: string;
    flip: boolean;
  };
  data: string;
  metrics: Record<string, MetricValue>;
  folds: Record<string, number | string>[];
}

export function toRecord(
  weights: string,
  label: string,
  model: Model,
  r: ProtocolResult,
  how: { output: string; flip: boolean; size: number },
): EvalRecord {
  const d = model.describe();
  return {
    protocol: r.protocol,
    weights,
    label,
    model: {
      arch: d.arch,
      num_classes: d.numClasses,
      embedding_dim: d.embeddingDim,
      input_size: how.size,
      output: how.output,
      flip: how.flip,
    },
    data: r.data,
    metrics: r.metrics,
    folds: r.folds,
  };
}

/** Scalar metrics as `a.b.c` → value (numbers and strings); arrays and matrices are left to the plots. */
export function flattenMetrics(metrics: Record<string, MetricValue>, prefix = ''): Map<string, number | string> {
  const out = new Map<string, number | string>();
  for (const [k, v] of Object.entries(metrics)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'number' || typeof v === 'string') out.set(key, v);
    else if (Array.isArray(v)) {
      if (v.every((x) => typeof x === 'string')) out.set(key, (v as string[]).join(', ') || '—');
    } else for (const [k2, v2] of flattenMetrics(v, key)) out.set(k2, v2);
  }
  return out;
}

/** Rows of a side-by-side table: one row per metric key, one column per record. */
export function sideBySide(records: EvalRecord[]): { keys: string[]; columns: Map<string, number | string>[] } {
  const columns = records.map((r) => flattenMetrics(r.metrics));
  const keys = [...new Set(columns.flatMap((c) => [...c.keys()]))];
  return { keys, columns };
}

export function formatValue(v: number | string | undefined): string {
  if (v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 0.001 || v === 0 ? v.toFixed(4) : v.toExponential(3);
}

/** Keys whose values are rates in [0, 1] (accuracies, AUC, EER, TAR, TPIR, FPIR), shown as percentages. */
const RATE =
  /(^|[._])(accuracy|best_accuracy|best_balanced_accuracy|auc|eer|top\d+|tar_at_far|tpir_at_fpir|rank\d+|rate|cross_rate|identification)([._]|$)/;

/** For the report's tables: rates as percentages ("11.1%"), the rest as formatValue. */
export function formatMetric(key: string, v: number | string | undefined): string {
  if (typeof v === 'number' && Number.isFinite(v) && !/threshold|_std$|pairs|count/.test(key) && RATE.test(key))
    return `${(v * 100).toFixed(Math.abs(v * 100) >= 10 ? 1 : 2)}%`;
  return formatValue(v);
}
