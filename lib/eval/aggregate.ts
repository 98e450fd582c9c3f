/**
 * Template aggregation as in the official VGGFace2 / IJB evaluation: normalise each face,
 * average per media (a photo or a video), normalise, average per template, normalise.
 */
import { l2NormalizeRows } from './vectors';

export interface TemplateMember {
  /** Row of the face in the embedding matrix. */
  row: number;
  template: string;
  /** Photo or video the face comes from; defaults to one media per face. */
  media?: string;
}

export interface TemplateEmbeddings {
  /** Template names, in order of first appearance. */
  names: string[];
  /** names.length × dim, unit rows. */
  data: Float32Array;
  dim: number;
}

function meanOfGroups(groups: Map<string, Float32Array[]>, dim: number): { names: string[]; data: Float32Array } {
  const names = [...groups.keys()];
  const data = new Float32Array(names.length * dim);
  names.forEach((name, k) => {
    const rows = groups.get(name)!;
    for (const r of rows) for (let j = 0; j < dim; j++) data[k * dim + j] += r[j] / rows.length;
  });
  return { names, data };
}

/** `faces` rows are the per-face embeddings (normalised here, a copy is made). */
export function aggregateTemplates(faces: Float32Array, dim: number, members: TemplateMember[]): TemplateEmbeddings {
  const unit = l2NormalizeRows(Float32Array.from(faces), dim);
  const media = new Map<string, Float32Array[]>();
  const templateOf = new Map<string, string>();
  members.forEach((m, k) => {
    if (m.row < 0 || (m.row + 1) * dim > unit.length)
      throw new RangeError(`template ${m.template}: face row ${m.row} out of range`);
    // Media keys are per template: the same photo in two templates is averaged into each.
    const key = `${m.template}\u0000${m.media ?? `#${k}`}`;
    templateOf.set(key, m.template);
    const list = media.get(key) ?? [];
    list.push(unit.subarray(m.row * dim, (m.row + 1) * dim));
    media.set(key, list);
  });
  const perMedia = meanOfGroups(media, dim);
  l2NormalizeRows(perMedia.data, dim);
  const templates = new Map<string, Float32Array[]>();
  perMedia.names.forEach((key, k) => {
    const t = templateOf.get(key)!;
    const list = templates.get(t) ?? [];
    list.push(perMedia.data.subarray(k * dim, (k + 1) * dim));
    templates.set(t, list);
  });
  const out = meanOfGroups(templates, dim);
  return { names: out.names, data: l2NormalizeRows(out.data, dim), dim };
}
