/**
 * `eval --set-threshold`: a decision threshold chosen on an evaluation's pairs and stored as the
 * weights' `verify_threshold` metadata, which `verify` then uses. Only the header is rewritten: the
 * tensor bytes are copied unchanged (their offsets are relative to the end of the header).
 */
import * as fs from 'fs';
import { writeFileAtomic } from '../io/atomic-write';
import { checkInputFile, MAX_TEXT_BYTES } from '../io/input-file';
import { encodeSafetensorsHeader } from '../io/safetensors';
import { bestThreshold, eer, roc, tarAtFar } from './metrics';
import type { ProtocolResult } from './protocols/types';

export type ThresholdRule = { kind: 'eer' } | { kind: 'best' } | { kind: 'far'; far: number };

/** Parses `eer`, `best` or `far=1e-3` (a FAR in (0, 1)). */
export function parseThresholdRule(s: string): ThresholdRule {
  if (s === 'eer' || s === 'best') return { kind: s };
  const m = /^far=(.+)$/.exec(s);
  const far = m ? Number(m[1]) : NaN;
  if (!m || !(far > 0 && far < 1))
    throw new Error(`--set-threshold ${s}: expected eer, best or far=X with 0 < X < 1 (e.g. far=1e-3)`);
  return { kind: 'far', far };
}

export const THRESHOLD_PROTOCOLS = ['verify', 'cfp', 'pairs'];

export interface ChosenThreshold {
  threshold: number;
  /** How it was chosen, in words, stored next to it (verify_threshold_rule). */
  rule: string;
  pairs: number;
}

/** The threshold by `rule` over every scored pair of the result (CFP: FF and FP pooled). */
export function chooseThreshold(r: ProtocolResult, rule: ThresholdRule): ChosenThreshold {
  const sets = Object.values(r.plots.scores ?? {});
  const scores: number[] = [];
  const same: boolean[] = [];
  for (const s of sets) {
    for (const x of s.genuine) {
      scores.push(x);
      same.push(true);
    }
    for (const x of s.impostor) {
      scores.push(x);
      same.push(false);
    }
  }
  if (!same.includes(true) || !same.includes(false))
    throw new Error(`${r.protocol}: a threshold needs both genuine and impostor pairs`);
  let threshold: number;
  let text: string;
  if (rule.kind === 'eer') {
    threshold = eer(roc(scores, same)).threshold;
    text = 'eer';
  } else if (rule.kind === 'best') {
    // Balanced: with few genuine pairs, plain accuracy would pick "always different".
    threshold = bestThreshold(scores, same, true).threshold;
    text = 'best balanced accuracy';
  } else {
    threshold = tarAtFar(roc(scores, same), rule.far).threshold;
    text = `far=${rule.far}`;
  }
  if (!Number.isFinite(threshold))
    throw new Error(`${r.protocol}: no finite threshold for ${text} (too few impostor pairs for that FAR?)`);
  return { threshold, rule: `${text} on ${r.data}`, pairs: scores.length };
}

/**
 * Sets metadata keys of a safetensors file in place, atomically: new header, same tensor bytes.
 * The file must be a safetensors file with a sane header; anything else is an error naming it.
 */
export function setWeightsMetadata(file: string, entries: Record<string, string>): void {
  const size = checkInputFile(file, 'weights file', Number.MAX_SAFE_INTEGER);
  const bytes = fs.readFileSync(file);
  const bad = (why: string) => new Error(`${file}: cannot store metadata: ${why} (only .safetensors weights hold it)`);
  if (size < 8) throw bad('not a safetensors file');
  const n = Number(bytes.readBigUInt64LE(0));
  if (n > MAX_TEXT_BYTES || 8 + n > size) throw bad('not a safetensors file');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  } catch {
    throw bad('its header is not JSON');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('its header is not a JSON object');
  const meta = (header.__metadata__ ?? {}) as Record<string, string>;
  header.__metadata__ = { ...meta, ...entries };
  writeFileAtomic(file, [...encodeSafetensorsHeader(header), bytes.subarray(8 + n)]);
}
