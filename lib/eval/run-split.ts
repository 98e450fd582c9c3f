/**
 * classify's held-out split for one weights file. closedSetSplit draws the held-out images with a
 * seed, so evaluating with another seed than the training run's "holds out" images the model
 * trained on, and its top-1 reads high (a benchmark here got 1.000 that way). When the weights sit
 * in their run folder (config.json beside them) and that run trained on the same data, its split
 * is the default, and flags that differ from it are warned about.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readRunConfig } from './report/training';

export interface ClassifySplit {
  holdout: number;
  seed: number;
  /** Where the split came from, for the log: the run's config.json, when it did. */
  note?: string;
  /** The flags (or the defaults) hold out images the model trained on. */
  warning?: string;
}

const real = (p: string) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
};

/** The held-out split a run's config records (holdoutPerClass; splitSeed, else seed), if it records one. */
export function recordedSplit(c: Record<string, unknown>): { holdout: number; seed: number } | undefined {
  const holdout = c.holdoutPerClass;
  const seed = c.splitSeed ?? c.seed;
  return typeof holdout === 'number' && typeof seed === 'number' ? { holdout, seed } : undefined;
}

/** The split `flags` ask for, else the run's, else 2 per identity with seed 0. */
export function classifySplit(
  weights: string,
  data: string,
  flags: { holdout?: number; seed?: number },
): ClassifySplit {
  const holdout = flags.holdout ?? 2;
  const seed = flags.seed ?? 0;
  const c = readRunConfig(weights);
  if (!c || typeof c.data !== 'string' || real(c.data) !== real(data)) return { holdout, seed };
  const file = path.join(path.dirname(weights), 'config.json');
  const run = recordedSplit(c);
  if (!run) return { holdout, seed };
  if (run.holdout === 0)
    return {
      holdout,
      seed,
      warning: `${weights} was trained on every image of ${data} (holdoutPerClass 0, ${file}): its held-out images are training images`,
    };
  const split = { holdout: flags.holdout ?? run.holdout, seed: flags.seed ?? run.seed };
  if (split.holdout === run.holdout && split.seed === run.seed)
    return { ...split, note: `the held-out split of its run: ${run.holdout} per identity, seed ${run.seed} (${file})` };
  return {
    ...split,
    warning:
      `${weights} was trained with ${run.holdout} images per identity held out by seed ${run.seed} (${file}); ` +
      `--holdout ${split.holdout} --seed ${split.seed} holds out images it trained on`,
  };
}
