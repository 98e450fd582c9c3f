/**
 * Issue 18.6: the report of a short run reads like the CLI: rates as percentages (11.1%, not
 * 0.1111), whole-number step axes (no "20.000000"), visible points when there are few records.
 */
import { formatMetric } from '../../lib/eval/record';
import { charts } from '../../lib/eval/report/charts';
import { reportHtml } from '../../lib/eval/report/html';
import { trainingSummary, type TrainingRecord } from '../../lib/eval/report/training';

// A 20-step run: two training records and one evaluation, as metrics.jsonl holds them.
const log: TrainingRecord[] = [
  { type: 'train', epoch: 1, step: 10, loss: 3.9, lr: 0.01, seconds: 4 },
  { type: 'train', epoch: 1, step: 20, loss: 3.8455, lr: 0.005, seconds: 8 },
  {
    type: 'eval',
    epoch: 1,
    step: 20,
    loss: 3.9021,
    val_top1: 1 / 9,
    val_top5: 5 / 9,
    val_verify_auc: 0.75,
    val_verify_eer: 0.3,
  },
];

test('training summary: percentages as the CLI prints them', () => {
  const rows = new Map(trainingSummary(log));
  expect(rows.get('held-out top-1 (last)')).toBe('11.1%');
  expect(rows.get('held-out top-5 (last)')).toBe('55.6%');
  expect(rows.get('held-out top-1 (best)')).toBe('11.1% (step 20)');
  expect(rows.get('held-out pairs EER (last)')).toBe('30.0%');
  expect(rows.get('steps')).toBe(20);
  // Issue 18.5: the two losses the CLI prints, by the CLI's names: the last log window's mean (the
  // progress line, the last "train" record) and the epoch mean ("eval epoch 1: … epoch mean train loss").
  expect(rows.get('train loss (last log window)')).toBe(3.8455);
  expect(rows.get('epoch mean train loss (last epoch)')).toBe(3.9021);
});

test('evaluation tables: rates as percentages, thresholds and counts as numbers', () => {
  expect(formatMetric('top1', 1 / 9)).toBe('11.1%');
  expect(formatMetric('auc', 0.99512)).toBe('99.5%');
  expect(formatMetric('tar_at_far.1e-3', 0.05)).toBe('5.00%');
  expect(formatMetric('FF.accuracy', 0.9)).toBe('90.0%');
  expect(formatMetric('best_balanced_accuracy', 0.5)).toBe('50.0%');
  expect(formatMetric('eer_threshold', 0.4321)).toBe('0.4321');
  expect(formatMetric('best_threshold', 0.4321)).toBe('0.4321');
  expect(formatMetric('accuracy_std', 0.01)).toBe('0.0100');
  expect(formatMetric('pairs', 66)).toBe('66');
});

test('training charts: integer step axes, filled points on short runs, percent accuracy axis', () => {
  const list = charts([], log);
  expect(list.map((c) => c.id)).toEqual(['train-loss', 'train-lr', 'train-val']);
  for (const c of list) {
    const spec = c.spec as { mark: { point: unknown }; encoding: { x: { axis: object }; y: { axis?: object } } };
    expect(spec.encoding.x.axis).toEqual({ format: 'd', tickMinStep: 1 });
    expect(spec.mark.point).toEqual({ filled: true, size: 50 });
  }
  expect((list[2].spec as { encoding: { y: { axis: object } } }).encoding.y.axis).toEqual({ format: '.0%' });
});

test('the rendered report of a short run: no fractional step ticks, percent ticks, percent table', async () => {
  const html = await reportHtml({ records: [], results: [], training: log });
  expect(html).not.toMatch(/\d\.0{4,}/); // no "20.000000" (or "0.0000") anywhere
  expect(html).toMatch(/>20</); // the last step as a tick label
  expect(html).toMatch(/>50%</); // the accuracy axis in percent
  expect(html).toContain('<td>held-out top-1 (last)</td><td>11.1%</td>');
  // A point per record on each line (loss 2, lr 2, top-1 and top-5 1 each): a one-record line shows.
  expect(html.match(/aria-roledescription="point"/g)).toHaveLength(6);
});
