/**
 * LFW-style pairs.txt: a header `FOLDS N` (or `N` for one set), then per fold N matched lines
 * `name i j` and N mismatched lines `name1 i name2 j`; images are `<root>/<name>/<name>_<iiii>.jpg`.
 * Accuracy is 10-fold: each fold is scored at the threshold that is best on the other nine.
 */
import * as path from 'path';
import { scoreImagePairs, summarisePairs, verificationPlots, type ImagePair } from './verification';
import type { Embedder, ProtocolResult } from './types';
import { readTextFile } from '../../io/input-file';

function image(root: string, name: string, n: string, where: string): string {
  if (!/^\d+$/.test(n) || Number(n) < 1) throw new Error(`${where}: image number '${n}' is not a positive integer`);
  if (name.includes('/') || name.includes('\\') || name === '..' || name === '.')
    throw new Error(`${where}: bad identity name '${name}'`);
  return path.join(root, name, `${name}_${n.padStart(4, '0')}.jpg`);
}

export function readLfwPairs(file: string, root: string): { pairs: ImagePair[]; folds: number } {
  const lines = readTextFile(file, 'pairs list').split(/\r?\n/);
  const header = lines[0].trim().split(/\s+/).map(Number);
  if (header.length < 1 || header.length > 2 || header.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new Error(`${file}:1: expected a header 'FOLDS PAIRS' (e.g. '10 300') or 'PAIRS', got '${lines[0].trim()}'`);
  }
  const [folds, perClass] = header.length === 2 ? header : [1, header[0]];
  const pairs: ImagePair[] = [];
  for (let k = 1; k < lines.length; k++) {
    const text = lines[k].trim();
    if (!text) continue;
    const where = `${file}:${k + 1}`;
    const f = text.split(/\s+/);
    const fold = Math.floor(pairs.length / (2 * perClass));
    if (f.length === 3)
      pairs.push({ a: image(root, f[0], f[1], where), b: image(root, f[0], f[2], where), same: true, fold, where });
    else if (f.length === 4)
      pairs.push({ a: image(root, f[0], f[1], where), b: image(root, f[2], f[3], where), same: false, fold, where });
    else throw new Error(`${where}: expected 'name i j' or 'name1 i name2 j', got ${f.length} fields`);
  }
  if (pairs.length !== folds * 2 * perClass) {
    throw new Error(
      `${file}: the header promises ${folds} × 2 × ${perClass} = ${folds * 2 * perClass} pairs, the file has ${pairs.length}`,
    );
  }
  return { pairs, folds };
}

export interface LfwOptions {
  /** Folder of the identity folders. */
  images: string;
  /** Default `<images>/pairs.txt`. */
  pairs?: string;
}

export async function lfwProtocol(embed: Embedder, opts: LfwOptions): Promise<ProtocolResult> {
  const file = opts.pairs ?? path.join(opts.images, 'pairs.txt');
  const { pairs, folds } = readLfwPairs(file, opts.images);
  const s = summarisePairs(await scoreImagePairs(embed, pairs, file));
  return {
    protocol: 'pairs',
    data: `${file} (${pairs.length} pairs, ${folds} fold${folds > 1 ? 's' : ''}) on ${opts.images}`,
    metrics: s.metrics,
    folds: s.folds,
    plots: verificationPlots({ pairs: s }),
  };
}
