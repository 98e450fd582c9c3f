/**
 * CFP (Celebrities in Frontal-Profile): Protocol/Pair_list_{F,P}.txt number the images (paths
 * relative to Protocol/), Protocol/Split/{FF,FP}/NN/{same,diff}.txt list pairs `i,j` (FF: both
 * frontal; FP: frontal i, profile j). Folds whose images are all absent are skipped and listed;
 * a fold with only some of its images is an error naming them.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  scorePairSets,
  summarisePairs,
  verificationPlots,
  type ImagePair,
  type VerificationSummary,
} from './verification';
import type { Embedder, MetricValue, ProtocolResult } from './types';
import { readTextFile } from '../../io/input-file';

export type CfpSetting = 'FF' | 'FP';

function readPairList(file: string): Map<number, string> {
  if (!fs.existsSync(file)) throw new Error(`${file}: missing (is this a CFP root with Protocol/ and Data/?)`);
  const out = new Map<number, string>();
  readTextFile(file, 'CFP list')
    .split(/\r?\n/)
    .forEach((raw, k) => {
      const l = raw.trim();
      if (!l) return;
      const m = /^(\d+)\s+(\S.*)$/.exec(l);
      if (!m) throw new Error(`${file}:${k + 1}: expected 'INDEX PATH'`);
      out.set(Number(m[1]), path.resolve(path.dirname(file), m[2]));
    });
  return out;
}

function readSplit(
  file: string,
  same: boolean,
  first: Map<number, string>,
  second: Map<number, string>,
  fold: number,
): ImagePair[] {
  const out: ImagePair[] = [];
  readTextFile(file, 'CFP list')
    .split(/\r?\n/)
    .forEach((raw, k) => {
      const l = raw.trim();
      if (!l) return;
      const where = `${file}:${k + 1}`;
      const m = /^(\d+)\s*,\s*(\d+)$/.exec(l);
      if (!m) throw new Error(`${where}: expected 'I,J' (two image numbers)`);
      const a = first.get(Number(m[1]));
      const b = second.get(Number(m[2]));
      if (!a || !b) throw new Error(`${where}: image number ${a ? m[2] : m[1]} is not in the pair list`);
      out.push({ a, b, same, fold, where });
    });
  return out;
}

export interface CfpFolds {
  pairs: Record<CfpSetting, ImagePair[]>;
  used: string[];
  skipped: string[];
}

/**
 * Reads the protocol and sorts its folds into usable (all images present) and skipped (none
 * present). `folds` (numbers as in the split folder names, `10` or `'10'`) restricts it to those
 * folds, e.g. the ones a model never saw in training; a requested fold must exist and have images.
 */
export function readCfp(root: string, folds?: readonly (string | number)[]): CfpFolds {
  const proto = path.join(root, 'Protocol');
  const lists = {
    F: readPairList(path.join(proto, 'Pair_list_F.txt')),
    P: readPairList(path.join(proto, 'Pair_list_P.txt')),
  };
  const splitDir = path.join(proto, 'Split', 'FF');
  if (!fs.existsSync(splitDir)) throw new Error(`${splitDir}: missing`);
  let names = fs
    .readdirSync(splitDir)
    .filter((d) => /^\d+$/.test(d))
    .sort();
  if (folds) names = pickFolds(names, folds, splitDir);
  const out: CfpFolds = { pairs: { FF: [], FP: [] }, used: [], skipped: [] };
  for (const name of names) {
    const fold = Number(name);
    const pairs: Record<CfpSetting, ImagePair[]> = { FF: [], FP: [] };
    for (const s of ['FF', 'FP'] as const) {
      const dir = path.join(proto, 'Split', s, name);
      const second = s === 'FF' ? lists.F : lists.P;
      pairs[s] = [
        ...readSplit(path.join(dir, 'same.txt'), true, lists.F, second, fold),
        ...readSplit(path.join(dir, 'diff.txt'), false, lists.F, second, fold),
      ];
    }
    const images = [...new Set([...pairs.FF, ...pairs.FP].flatMap((p) => [p.a, p.b]))];
    const missing = images.filter((f) => !fs.existsSync(f));
    if (missing.length === images.length) {
      out.skipped.push(name);
      continue;
    }
    if (missing.length > 0) {
      throw new Error(
        `CFP fold ${name} is incomplete: ${missing.length} of its ${images.length} images are missing, e.g. ${missing.slice(0, 5).join(', ')}`,
      );
    }
    out.used.push(name);
    out.pairs.FF.push(...pairs.FF);
    out.pairs.FP.push(...pairs.FP);
  }
  if (out.used.length === 0) throw new Error(`${root}: no CFP fold has its images (looked for ${names.length} folds)`);
  if (folds && out.skipped.length > 0)
    throw new Error(`${root}: requested CFP fold(s) ${out.skipped.join(', ')} have no images`);
  return out;
}

/** The split folder names of the requested folds, in protocol order; unknown ones are an error. */
function pickFolds(names: string[], folds: readonly (string | number)[], splitDir: string): string[] {
  if (folds.length === 0) throw new Error('CFP: an empty list of folds');
  const wanted = new Set<number>();
  for (const f of folds) {
    const n = typeof f === 'number' ? f : /^\s*\d+\s*$/.test(f) ? Number(f) : NaN;
    if (!Number.isInteger(n) || !names.some((d) => Number(d) === n)) {
      throw new Error(`CFP fold '${f}' is not in ${splitDir} (folds: ${names.join(', ')})`);
    }
    wanted.add(n);
  }
  return names.filter((d) => wanted.has(Number(d)));
}

export async function cfpProtocol(
  embed: Embedder,
  root: string,
  opts: { folds?: readonly (string | number)[] } = {},
): Promise<ProtocolResult> {
  const cfp = readCfp(root, opts.folds);
  const summaries: Record<string, VerificationSummary> = {};
  const metrics: Record<string, MetricValue> = {};
  const folds: Record<string, number | string>[] = [];
  const scored = await scorePairSets(embed, cfp.pairs, `CFP at ${root}`);
  for (const s of ['FF', 'FP'] as const) {
    const sum = summarisePairs(scored[s]);
    summaries[s] = sum;
    metrics[s] = sum.metrics;
    folds.push(...sum.folds.map((f) => ({ setting: s, ...f })));
  }
  metrics.folds_used = cfp.used;
  metrics.folds_skipped = cfp.skipped;
  return {
    protocol: 'cfp',
    data: `CFP at ${root}: folds ${cfp.used.join(', ')} (skipped, no images: ${cfp.skipped.join(', ') || 'none'})`,
    metrics,
    folds,
    plots: verificationPlots(summaries),
  };
}
