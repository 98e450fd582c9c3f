/**
 * Identification on a labelled set: per identity the first `galleryPerId` usable images form the
 * gallery, the rest are probes; rank-k and the CMC. Open set: `unknown` identities (chosen with
 * the seed) keep no gallery image, so their probes must be rejected — TPIR at FPIR.
 */
import { Rng } from '../../data/rng';
import type { Dataset } from '../../data/types';
import type { Embeddings } from '../embed';
import { cmc, ranks, tpirAtFpir } from '../metrics';
import { pickRows, similarityMatrix } from '../vectors';
import type { MetricValue, ProtocolResult } from './types';

export const FPIR_TARGETS = [1e-2, 1e-1];

export interface IdentifyOptions {
  galleryPerId?: number;
  unknown?: number;
  seed?: number;
}

export function identifyProtocol(dataset: Dataset, e: Embeddings, opts: IdentifyOptions = {}): ProtocolResult {
  const perId = opts.galleryPerId ?? 1;
  const ids = [...new Set(Array.from(e.labels))].sort((a, b) => a - b);
  const unknown = opts.unknown ?? 0;
  if (unknown < 0 || unknown >= ids.length)
    throw new Error(`identify: --unknown must be in 0..${ids.length - 1} (${ids.length} identities)`);
  const outside = new Set(new Rng(opts.seed ?? 0, 0x1d).shuffle(ids.slice()).slice(0, unknown));
  const taken = new Map<number, number>();
  const gallery: number[] = [];
  const probes: number[] = [];
  e.labels.forEach((l, row) => {
    const n = taken.get(l) ?? 0;
    if (!outside.has(l) && n < perId) {
      gallery.push(row);
      taken.set(l, n + 1);
    } else probes.push(row);
  });
  if (gallery.length === 0)
    throw new Error(`identify: the gallery is empty (${dataset.description}; ${perId} image(s) per identity)`);
  if (probes.length === 0)
    throw new Error(
      `identify: no probe images left (every identity has at most ${perId} image(s); lower --gallery-per-id)`,
    );
  const m = {
    scores: similarityMatrix(pickRows(e.data, e.dim, probes), pickRows(e.data, e.dim, gallery), e.dim),
    probes: probes.length,
    gallery: gallery.length,
  };
  const probeLabels = probes.map((r) => e.labels[r]);
  const galleryLabels = gallery.map((r) => e.labels[r]);
  const rankOf = ranks(m, probeLabels, galleryLabels);
  const curve = Array.from(cmc(rankOf, Math.min(20, taken.size)));
  const metrics: Record<string, MetricValue> = {
    identities: ids.length,
    gallery: gallery.length,
    probes: probes.length,
    rank1: curve[0],
    rank5: curve[Math.min(5, curve.length) - 1],
    cmc: curve,
  };
  if (unknown > 0) {
    metrics.unknown_identities = unknown;
    const tpir: Record<string, MetricValue> = {};
    for (const p of tpirAtFpir(m, probeLabels, galleryLabels, FPIR_TARGETS)) tpir[p.target.toExponential(0)] = p.tpir;
    metrics.tpir_at_fpir = tpir;
  }
  return {
    protocol: 'identify',
    data: `${dataset.description}: gallery ${gallery.length} (${perId}/identity), probes ${probes.length}${unknown ? `, ${unknown} identities outside the gallery` : ''}`,
    metrics,
    folds: [],
    plots: { cmc: curve },
  };
}
