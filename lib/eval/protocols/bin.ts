/**
 * insightface verification files (lfw.bin, cfp_fp.bin, agedb_30.bin): a pickle of
 * (list of encoded images, list of issame flags); images 2k and 2k+1 form pair k. Evaluated as
 * LFW: 10 contiguous folds, threshold chosen on the other nine.
 */
import * as fs from 'fs';
import type { Embeddings } from '../embed';
import { contiguousFolds } from '../metrics';
import { unpickle } from '../pickle';
import { dot } from '../vectors';
import { summarisePairs, verificationPlots } from './verification';
import type { ProtocolResult } from './types';
import { checkInputFile, MAX_TEXT_BYTES } from '../../io/input-file';

export interface BinFile {
  images: Uint8Array[];
  issame: boolean[];
}

export function readBin(file: string): BinFile {
  checkInputFile(file, '.bin file', MAX_TEXT_BYTES);
  const v = unpickle(fs.readFileSync(file), file);
  const shape = `expected a pickled (list of encoded images, list of issame flags)`;
  if (!Array.isArray(v) || v.length !== 2 || !Array.isArray(v[0]) || !Array.isArray(v[1]))
    throw new Error(`${file}: ${shape}`);
  const [bins, flags] = v as [unknown[], unknown[]];
  if (!bins.every((b) => b instanceof Uint8Array))
    throw new Error(`${file}: ${shape}; the first list holds something other than byte strings`);
  if (!flags.every((f) => typeof f === 'boolean' || f === 0 || f === 1))
    throw new Error(`${file}: ${shape}; the flags are not booleans`);
  if (bins.length !== 2 * flags.length)
    throw new Error(`${file}: ${bins.length} images for ${flags.length} pairs (expected ${2 * flags.length})`);
  if (flags.length < 10) throw new Error(`${file}: ${flags.length} pairs are too few for 10 folds`);
  return { images: bins as Uint8Array[], issame: flags.map(Boolean) };
}

/** Scores the pairs of an embedded .bin (rows in file order). */
export function binProtocol(file: string, bin: BinFile, e: Embeddings): ProtocolResult {
  const scores = bin.issame.map((_, k) => dot(e.data, 2 * k, e.data, 2 * k + 1, e.dim));
  const s = summarisePairs({ scores, same: bin.issame, fold: contiguousFolds(scores.length, 10) });
  return {
    protocol: 'bin',
    data: `${file} (${scores.length} pairs, 10 folds)`,
    metrics: s.metrics,
    folds: s.folds,
    plots: verificationPlots({ pairs: s }),
  };
}
