/**
 * Progress for the CLI: a one-line bar on a TTY (epoch, step, images/s, loss, top-1, lr, ETA),
 * plain lines every `logEvery` steps otherwise, so that CI logs stay readable. images/s, loss and
 * top-1 are the log window's means (StepEvent.window): at a log step the metrics.jsonl record's numbers.
 */

/** What each field of the progress line means (train --help, docs/training.md). */
export const PROGRESS_LEGEND = [
  'Progress line: epoch E/N step S/T  R img/s  loss L  top-1 A%  lr X  ETA',
  '  img/s, loss, top-1: means over the log window (the last --log-every steps, evaluation time excluded);',
  '  at every --log-every step exactly the numbers of the "train" record in metrics.jsonl',
  '  (images_per_s, loss, top1). loss: mean training loss per step; top-1: share of training images',
  '  classified right; lr: the learning rate of the step; ETA: remaining steps at the window rate.',
].join('\n');
import type { EvalEvent, Trainer, StepEvent } from './trainer';

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec).padStart(2, '0')}s`;
}

export function attachProgress(trainer: Trainer, out: NodeJS.WriteStream, mode: 'bar' | 'lines'): () => void {
  const c = trainer.config;
  let drawn = false;
  const clear = () => {
    if (drawn) out.write('\r\x1b[K');
    drawn = false;
  };
  const onStep = (e: StepEvent) => {
    const s = trainer.state;
    const w = e.window;
    const eta = ((s.totalSteps - s.step) * c.batchSize * c.accumulate) / w.imagesPerS;
    const text = `epoch ${e.epoch}/${c.epochs} step ${e.step}/${s.totalSteps} ${w.imagesPerS.toFixed(1)} img/s loss ${w.loss.toFixed(4)} top-1 ${(100 * w.top1).toFixed(1)}% lr ${e.lr.toPrecision(3)} ETA ${duration(eta)}`;
    if (mode === 'bar') {
      const width = 20;
      const filled = Math.round((width * s.step) / Math.max(1, s.totalSteps));
      out.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`);
      drawn = true;
    } else if (e.step % c.logEvery === 0 || e.step === s.totalSteps) out.write(`${text}\n`);
  };
  const onEval = (r: EvalEvent) => {
    clear();
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    const auc = r.valVerifyAuc;
    const pairs = auc !== undefined ? `, pairs AUC ${auc.toFixed(3)} EER ${pct(r.valVerifyEer!)}` : '';
    const accuracy = `held-out top-1 ${pct(r.valTop1)} top-5 ${pct(r.valTop5)} (${r.valImages} images)`;
    out.write(`eval epoch ${r.epoch}: ${accuracy}${pairs}, epoch mean train loss ${r.loss.toFixed(4)}\n`);
  };
  const onLog = (m: string) => {
    clear();
    out.write(`${m}\n`);
  };
  trainer.on('step', onStep);
  trainer.on('eval', onEval);
  trainer.on('log', onLog);
  return () => {
    clear();
    trainer.off('step', onStep);
    trainer.off('eval', onEval);
    trainer.off('log', onLog);
  };
}
