/** Vega-Lite specs for the report: ROC (log FAR), score histograms, CMC, template heatmaps, training curves. */
import type { ProtocolResult } from '../protocols/types';
import type { TrainingRecord } from './training';

export interface NamedResult {
  /** Column name: the weights file (or a label). */
  name: string;
  result: ProtocolResult;
}

export interface Chart {
  id: string;
  title: string;
  spec: object;
}

const WIDTH = 420;
const HEIGHT = 300;
const BINS = 40;
/** Rates (accuracy, TAR, identification, shares) read as percentages, as the CLI prints them. */
const PERCENT = { format: '.0%' };

function series(name: string, curve: string, results: NamedResult[]): string {
  return results.length > 1 ? `${name} · ${curve}` : curve;
}

function rocChart(results: NamedResult[]): Chart | undefined {
  const values: object[] = [];
  for (const { name, result } of results) {
    for (const [curve, r] of Object.entries(result.plots.roc ?? {})) {
      // A log axis cannot show FAR = 0: the curve starts at the first accepted impostor.
      r.far.forEach((far, i) => far > 0 && values.push({ series: series(name, curve, results), far, tar: r.tar[i] }));
    }
  }
  if (!values.length) return undefined;
  return {
    id: 'roc',
    title: 'ROC (log FAR)',
    spec: {
      width: WIDTH,
      height: HEIGHT,
      data: { values },
      mark: { type: 'line', interpolate: 'step-after' },
      encoding: {
        x: { field: 'far', type: 'quantitative', scale: { type: 'log' }, title: 'false accept rate' },
        y: { field: 'tar', type: 'quantitative', scale: { domain: [0, 1] }, axis: PERCENT, title: 'true accept rate' },
        color: { field: 'series', type: 'nominal', title: null },
      },
    },
  };
}

function histogramCharts(results: NamedResult[]): Chart[] {
  const out: Chart[] = [];
  results.forEach(({ name, result }, k) => {
    for (const [curve, s] of Object.entries(result.plots.scores ?? {})) {
      const all = [...s.genuine, ...s.impostor];
      const lo = Math.min(...all);
      const hi = Math.max(...all);
      const w = (hi - lo) / BINS || 1;
      const values: object[] = [];
      for (const [kind, xs] of [
        ['genuine', s.genuine],
        ['impostor', s.impostor],
      ] as const) {
        const counts = new Array(BINS).fill(0);
        for (const x of xs) counts[Math.min(BINS - 1, Math.floor((x - lo) / w))]++;
        counts.forEach((c, b) => values.push({ kind, start: lo + b * w, end: lo + (b + 1) * w, share: c / xs.length }));
      }
      out.push({
        id: `hist-${k}-${curve}`,
        title: `Genuine vs impostor scores — ${series(name, curve, results)}`,
        spec: {
          width: WIDTH,
          height: 200,
          data: { values },
          mark: { type: 'rect', opacity: 0.55 },
          encoding: {
            x: { field: 'start', type: 'quantitative', scale: { zero: false }, title: 'cosine similarity' },
            x2: { field: 'end' },
            y: { field: 'share', type: 'quantitative', stack: null, axis: PERCENT, title: 'share of pairs' },
            color: {
              field: 'kind',
              type: 'nominal',
              scale: { domain: ['genuine', 'impostor'], range: ['#1b9e77', '#d95f02'] },
              title: null,
            },
          },
        },
      });
    }
  });
  return out;
}

function cmcChart(results: NamedResult[]): Chart | undefined {
  const values = results.flatMap(({ name, result }) =>
    (result.plots.cmc ?? []).map((rate, i) => ({ model: name, rank: i + 1, rate })),
  );
  if (!values.length) return undefined;
  const classify = results[0].result.protocol === 'classify';
  return {
    id: 'cmc',
    title: classify ? 'Top-k accuracy' : 'CMC',
    spec: {
      width: WIDTH,
      height: HEIGHT,
      data: { values },
      mark: { type: 'line', point: true },
      encoding: {
        x: {
          field: 'rank',
          type: 'quantitative',
          title: classify ? 'k' : 'rank',
          axis: { tickMinStep: 1, format: 'd' },
        },
        y: {
          field: 'rate',
          type: 'quantitative',
          scale: { domain: [0, 1] },
          axis: PERCENT,
          title: classify ? 'top-k accuracy' : 'identification rate',
        },
        color: { field: 'model', type: 'nominal', title: null },
      },
    },
  };
}

function heatmaps(results: NamedResult[]): Chart[] {
  return results.flatMap(({ name, result }, k) => {
    const m = result.plots.matrix;
    if (!m) return [];
    const values = m.kinds.flatMap((a, i) =>
      m.kinds.map((b, j) => ({ a, b, value: m.values[i][j], label: m.values[i][j].toFixed(3) })),
    );
    const sort = m.kinds;
    return [
      {
        id: `matrix-${k}`,
        title: `${m.title}${results.length > 1 ? ` — ${name}` : ''}`,
        spec: {
          width: 80 * m.kinds.length,
          height: 80 * m.kinds.length,
          data: { values },
          encoding: {
            x: { field: 'b', type: 'ordinal', sort, title: null },
            y: { field: 'a', type: 'ordinal', sort, title: null },
          },
          layer: [
            {
              mark: 'rect',
              encoding: {
                color: { field: 'value', type: 'quantitative', scale: { scheme: 'viridis' }, title: 'similarity' },
              },
            },
            { mark: { type: 'text', color: 'white' }, encoding: { text: { field: 'label', type: 'nominal' } } },
          ],
        },
      },
    ];
  });
}

function trainingCharts(log: TrainingRecord[]): Chart[] {
  const train = log.filter((r) => r.type === 'train');
  const evals = log.filter((r) => r.type === 'eval');
  const line = (
    id: string,
    title: string,
    values: object[],
    y: string,
    yTitle: string,
    color?: string,
    yAxis?: object,
  ): Chart => ({
    id,
    title,
    spec: {
      width: WIDTH,
      height: 220,
      data: { values },
      // Few records (a short run): visible points, or a one-record line would draw nothing.
      mark: { type: 'line', point: values.length < 60 ? { filled: true, size: 50 } : false },
      encoding: {
        // Steps are whole numbers: integer ticks (no "20.000000" on a short run).
        x: { field: 'step', type: 'quantitative', title: 'step', axis: { format: 'd', tickMinStep: 1 } },
        y: { field: y, type: 'quantitative', title: yTitle, ...(yAxis ? { axis: yAxis } : {}) },
        ...(color ? { color: { field: color, type: 'nominal', title: null } } : {}),
      },
    },
  });
  const out: Chart[] = [];
  if (train.some((r) => r.loss !== undefined))
    out.push(
      line(
        'train-loss',
        'Training loss',
        train.filter((r) => r.loss !== undefined),
        'loss',
        'loss',
      ),
    );
  if (train.some((r) => r.lr !== undefined))
    out.push(
      line(
        'train-lr',
        'Learning rate',
        train.filter((r) => r.lr !== undefined),
        'lr',
        'learning rate',
      ),
    );
  const val = evals.flatMap((r) => [
    ...(r.val_top1 !== undefined ? [{ step: r.step, metric: 'top-1', value: r.val_top1 }] : []),
    ...(r.val_top5 !== undefined ? [{ step: r.step, metric: 'top-5', value: r.val_top5 }] : []),
  ]);
  if (val.length) out.push(line('train-val', 'Validation accuracy', val, 'value', 'accuracy', 'metric', PERCENT));
  return out;
}

export function charts(results: NamedResult[], training?: TrainingRecord[]): Chart[] {
  return [
    rocChart(results),
    ...histogramCharts(results),
    cmcChart(results),
    ...heatmaps(results),
    ...(training ? trainingCharts(training) : []),
  ].filter((c): c is Chart => c !== undefined);
}
