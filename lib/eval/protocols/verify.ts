/**
 * Verification from a list of labelled pairs (`A B LABEL` per line, separated by spaces, tabs or
 * commas; an optional header line), or from all pairs of a labelled set.
 */
import * as path from 'path';
import type { Dataset } from '../../data/types';
import type { Embeddings } from '../embed';
import { dot } from '../vectors';
import { scoreImagePairs, summarisePairs, verificationPlots, type ImagePair } from './verification';
import type { Embedder, ProtocolResult } from './types';
import { readTextFile } from '../../io/input-file';

const SAME = new Set(['1', 'true', 'yes', 'same', 'y']);
const DIFF = new Set(['0', 'false', 'no', 'diff', 'different', 'n', '-1']);

/** Relative image paths resolve against `images` (default: the pairs file's folder). */
export function readPairsList(file: string, images?: string): ImagePair[] {
  const base = images ?? path.dirname(file);
  const out: ImagePair[] = [];
  readTextFile(file, 'pairs list')
    .split(/\r?\n/)
    .forEach((raw, k) => {
      const l = raw.trim();
      if (!l || l.startsWith('#')) return;
      const where = `${file}:${k + 1}`;
      const f = l.split(/\s*[,\t]\s*|\s+/);
      const label = f[2]?.toLowerCase();
      const known = label !== undefined && (SAME.has(label) || DIFF.has(label));
      if (k === 0 && f.length >= 3 && !known) return; // header (e.g. file_x,file_y,Decision)
      if (f.length < 3 || !known)
        throw new Error(`${where}: expected 'IMAGE_A IMAGE_B LABEL' with LABEL 1/0, same/diff, yes/no or true/false`);
      out.push({ a: path.resolve(base, f[0]), b: path.resolve(base, f[1]), same: SAME.has(label!), where });
    });
  if (out.length === 0) throw new Error(`${file}: no pairs`);
  return out;
}

export async function pairsListProtocol(embed: Embedder, file: string, images?: string): Promise<ProtocolResult> {
  const pairs = readPairsList(file, images);
  const s = summarisePairs(await scoreImagePairs(embed, pairs, file));
  return {
    protocol: 'verify',
    data: `${file}: ${pairs.length} pairs`,
    metrics: s.metrics,
    folds: [],
    plots: verificationPlots({ pairs: s }),
  };
}

/** All pairs of the (usable) images of a labelled set: same identity = genuine. */
export function allPairsProtocol(dataset: Dataset, e: Embeddings, maxPairs = 5_000_000): ProtocolResult {
  const n = e.indices.length;
  const count = (n * (n - 1)) / 2;
  if (count > maxPairs)
    throw new Error(`verify: ${n} images make ${count} pairs (over ${maxPairs}); give a pairs list with --pairs`);
  const scores = new Float64Array(count);
  const same: boolean[] = new Array(count);
  let k = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++, k++) {
      scores[k] = dot(e.data, i, e.data, j, e.dim);
      same[k] = e.labels[i] === e.labels[j];
    }
  const s = summarisePairs({ scores, same });
  return {
    protocol: 'verify',
    data: `all ${count} pairs of ${dataset.description}`,
    metrics: s.metrics,
    folds: [],
    plots: verificationPlots({ pairs: s }),
  };
}
