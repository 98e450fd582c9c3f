/** The report: one self-contained HTML file (inline CSS and SVG, no scripts, nothing fetched). */
import { writeFileAtomic } from '../../io/atomic-write';
import { formatMetric, formatValue, sideBySide, type EvalRecord } from '../record';
import type { ProtocolResult } from '../protocols/types';
import { charts } from './charts';
import { renderSvgs } from './render';
import { trainingSummary, type TrainingRecord } from './training';

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f3f3f3}
.plots{display:flex;flex-wrap:wrap;gap:1.5em}figure{margin:0}figcaption{font-weight:600;margin-bottom:.3em}
.note{color:#555;font-size:13px}code{background:#f3f3f3;padding:0 3px}`;

export interface ReportInput {
  records: EvalRecord[];
  results: ProtocolResult[];
  /** A training run's metrics.jsonl: its curves and a summary table. */
  training?: TrainingRecord[];
  /** The run's resolved config (config.json), summarised with the training table. */
  trainingConfig?: Record<string, unknown>;
  title?: string;
}

export async function reportHtml(input: ReportInput): Promise<string> {
  const named = input.records.map((r, k) => ({ name: r.label, result: input.results[k] }));
  const list = charts(named, input.training);
  const svgs = await renderSvgs(list.map((c) => c.spec));
  const { keys, columns } = sideBySide(input.records);
  const head = `<tr><th>metric</th>${input.records.map((r) => `<th title="${esc(r.weights)}">${esc(r.label)}<br><span class="note">${esc(r.model.arch)}</span></th>`).join('')}</tr>`;
  const rows = keys
    .map(
      (k) => `<tr><td>${esc(k)}</td>${columns.map((c) => `<td>${esc(formatMetric(k, c.get(k)))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  const folds = input.records
    .filter((r) => r.folds.length)
    .map((r) => {
      const cols = [...new Set(r.folds.flatMap((f) => Object.keys(f)))];
      const body = r.folds
        .map((f) => `<tr>${cols.map((c) => `<td>${esc(formatValue(f[c]))}</td>`).join('')}</tr>`)
        .join('\n');
      return `<h3>Folds — ${esc(r.label)}</h3><table><tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${body}</table>`;
    })
    .join('\n');
  const figures = list
    .map(
      (c, k) =>
        `<figure class="plot" data-plot="${esc(c.id)}"><figcaption>${esc(c.title)}</figcaption>${svgs[k]}</figure>`,
    )
    .join('\n');
  const protocol = input.records[0]?.protocol ?? '';
  const title = input.title ?? (input.records.length ? `vgg2-torch evaluation: ${protocol}` : 'vgg2-torch training');
  const evaluation = input.records.length
    ? `<p>Data: ${esc(input.results[0]?.data ?? '')}</p>
<p class="note">Models: ${input.records.map((r) => `<code>${esc(r.weights)}</code> (${esc(r.model.arch)}, ${esc(r.model.output)}${r.model.flip ? ' + flip' : ''}, ${r.model.input_size} px)`).join('; ')}.</p>
<h2>Results</h2>
<table>${head}\n${rows}</table>
<p class="note">TAR@FAR=x: the ROC point with the lowest threshold whose FAR ≤ x (no interpolation). EER: mean of FAR and FRR where they are closest.
Accuracy over folds: each fold's threshold is chosen on the other folds only; ± is the population standard deviation.</p>`
    : '';
  const training = input.training?.length
    ? `<h2>Training</h2>
<table>${trainingSummary(input.training, input.trainingConfig)
        .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(formatValue(v))}</td></tr>`)
        .join('\n')}</table>`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head>
<body>
<h1>${esc(title)}</h1>
${evaluation}
<p class="note">Generated ${new Date().toISOString()} by vgg2-torch.</p>
${training}
${figures ? `<h2>Plots</h2><div class="plots">${figures}</div>` : ''}
${folds}
</body></html>
`;
}

/** Writes the report atomically. */
export async function writeReport(file: string, input: ReportInput): Promise<void> {
  const html = await reportHtml(input);
  writeFileAtomic(file, html);
}
