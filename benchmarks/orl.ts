/**
 * The ORL recipe the model-size suites share (distill, prune): how a model is trained on ORL (8
 * images per person, 2 held out, 112x112) and how it is scored — held-out top-1 on ORL and CFP
 * frontal-frontal verification accuracy.
 */
import path from 'path';
import { cli, evalMetrics, repoRoot } from './harness';

const data = path.resolve(repoRoot, '..', 'shared', 'data');

/** `train` flags of the ORL recipe (train-orl / quant-accuracy's), for `epochs` epochs. */
export const orlRecipe = (epochs: number, seed: number, lr = 0.01, holdout = 2) =>
  // prettier-ignore
  ['--data', path.join(data, 'orl'), '--epochs', String(epochs), '--batch-size', '16', '--lr', String(lr), '--schedule', 'cosine',
   '--warmup-epochs', '2', '--holdout-per-class', String(holdout), '--input-size', '112', '--crop', 'none', '--amp', 'bf16',
   '--seed', String(seed)];

/** Trains the suites' ResNet-50 on ORL (seed 0) into `out`; its weights file. */
export function trainOrlResNet50(out: string, epochs: number): string {
  cli(['train', ...orlRecipe(epochs, 0), '--arch', 'resnet50', '--out', out]);
  return path.join(out, 'model.safetensors');
}

/**
 * Held-out top-1 on ORL and CFP FF verification accuracy of one model; reports go to `dir`. With
 * `folds` the verification uses only those CFP folds; one fold has no other folds to choose a
 * threshold on, so its accuracy is at the fold's best threshold (the same rule for every model).
 * `seed` and `holdout` (images held out per person) are the training run's: its held-out split is
 * drawn with them (another seed's "held-out" images are mostly ones the model trained on).
 */
export function orlAccuracy(
  weights: string,
  dir: string,
  tag: string,
  folds: string[] | undefined,
  seed: number,
  holdout = 2,
): { top1: number; verify: number } {
  const classify = [
    '--data',
    path.join(data, 'orl'),
    '--protocol',
    'classify',
    '--holdout',
    String(holdout),
    '--seed',
    String(seed),
  ];
  const top1 = evalMetrics(weights, classify, path.join(dir, `${tag}-orl.json`)).top1;
  return { top1, verify: cfpVerification(weights, dir, tag, folds) };
}

/** CFP FF verification accuracy of one model (see orlAccuracy for `folds`). */
export function cfpVerification(weights: string, dir: string, tag: string, folds?: string[]): number {
  const args = ['--data', path.join(data, 'cfp'), '--protocol', 'cfp', ...(folds ? ['--folds', ...folds] : [])];
  const ff = evalMetrics(weights, args, path.join(dir, `${tag}-cfp.json`)).FF;
  return folds?.length === 1 ? ff.best_accuracy : ff.accuracy;
}

/** An epochs flag of a suite: 1 in a smoke run, else the flag's value (a positive integer) or `fallback`. */
export function epochsFlag(value: string | undefined, flag: string, fallback: number, smoke: boolean): number {
  if (smoke) return 1;
  const epochs = Number(value ?? fallback);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--${flag}: a positive integer, got ${value}`);
  return epochs;
}

/** Mean and spread (max − min) of some runs. */
export function stats(xs: number[]): { mean: number; spread: number } {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  return { mean, spread: Math.max(...xs) - Math.min(...xs) };
}
