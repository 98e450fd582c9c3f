/**
 * The VGGFace2 pose and age template protocols. Each identity has 2 templates per pose (front,
 * three-quarter, profile) or per age (young, mature); a template's vector is the aggregate of its
 * faces. Reported: the matrix of mean similarity between templates of the same identity, by kind,
 * and the identification rate from kind a to kind b: a template of kind a must rank its own
 * identity's templates of kind b first among all identities' templates of kind b.
 */
import { Issues } from '../../data/issues';
import { Subset } from '../../data/dataset';
import { findVggFace2Files, readTemplates, VggFace2Dataset, type Template } from '../../data/vggface2';
import { aggregateTemplates } from '../aggregate';
import { rowOf, type Embeddings } from '../embed';
import { ranks } from '../metrics';
import { dot, pickRows, similarityMatrix } from '../vectors';
import type { Embedder, MetricValue, ProtocolResult } from './types';

export type TemplateProtocol = 'pose' | 'age';

/** The template list of a VGGFace2 root; a block whose length is not a multiple of its templates is an error. */
export function loadTemplates(root: string, kind: TemplateProtocol): { file: string; templates: Template[] } {
  const files = findVggFace2Files(root);
  if (!files) throw new Error(`${root}: not a VGGFace2 root (no meta/identity_meta.csv)`);
  const file = kind === 'pose' ? files.poseTemplates : files.ageTemplates;
  if (!file) throw new Error(`${root}: no test_${kind}temp_imglist.txt found (looked in meta/ and the root)`);
  const templates = readTemplates(file, kind, new Issues({ strict: true }));
  if (templates.length === 0) throw new Error(`${file}: no templates`);
  return { file, templates };
}

/** Scores templates given one embedding row per listed image (`rowOfImage`). */
export function scoreTemplates(
  templates: Template[],
  e: Embeddings,
  rowOfImage: (img: string) => number,
  kind: TemplateProtocol,
  what: string,
): ProtocolResult {
  const names = templates.map((t, k) => `${t.identity}#${k}`);
  const agg = aggregateTemplates(
    e.data,
    e.dim,
    templates.flatMap((t, k) => t.images.map((img) => ({ row: rowOfImage(img), template: names[k] }))),
  );
  const kinds = [...new Set(templates.map((t) => t.kind))];
  const identities = [...new Set(templates.map((t) => t.identity))];
  if (identities.length < 2)
    throw new Error(`${what}: the ${kind} protocol needs at least 2 identities (got ${identities.length})`);
  const idOf = new Map(identities.map((id, k) => [id, k]));
  const byKind = kinds.map((kd) => templates.map((t, k) => (t.kind === kd ? k : -1)).filter((k) => k >= 0));
  // Mean similarity between distinct templates of the same identity, per pair of kinds.
  const similarity = kinds.map((_, a) =>
    kinds.map((_, b) => {
      let sum = 0;
      let count = 0;
      for (const i of byKind[a])
        for (const j of byKind[b]) {
          if (i === j || templates[i].identity !== templates[j].identity) continue;
          sum += dot(agg.data, i, agg.data, j, agg.dim);
          count++;
        }
      return count ? sum / count : 0;
    }),
  );
  // Identification a → b: every template of kind a against all templates of kind b (itself excluded).
  const identification = kinds.map((_, a) =>
    kinds.map((_, b) => {
      let right = 0;
      for (const p of byKind[a]) {
        const gallery = byKind[b].filter((g) => g !== p);
        const m = {
          scores: similarityMatrix(pickRows(agg.data, agg.dim, [p]), pickRows(agg.data, agg.dim, gallery), agg.dim),
          probes: 1,
          gallery: gallery.length,
        };
        if (
          ranks(
            m,
            [idOf.get(templates[p].identity)!],
            gallery.map((g) => idOf.get(templates[g].identity)!),
          )[0] === 1
        )
          right++;
      }
      return right / byKind[a].length;
    }),
  );
  const cross: number[] = [];
  const named: Record<string, MetricValue> = {};
  kinds.forEach((ka, a) =>
    kinds.forEach((kb, b) => {
      if (a === b) return;
      cross.push(identification[a][b]);
      named[`${ka}->${kb}`] = identification[a][b];
    }),
  );
  return {
    protocol: kind,
    data: what,
    metrics: {
      identities: identities.length,
      templates: templates.length,
      template_size: templates[0].images.length,
      kinds,
      similarity,
      identification,
      cross_identification: named,
      cross_rate: cross.reduce((x, y) => x + y, 0) / cross.length,
    },
    folds: [],
    plots: { matrix: { kinds, values: similarity, title: `${kind}: mean similarity of same-identity templates` } },
  };
}

export interface TemplateOptions {
  root: string;
  /** Folder of the test split's identity folders, when not `<root>/test`. */
  images?: string;
}

export async function templateProtocol(
  embed: Embedder,
  kind: TemplateProtocol,
  opts: TemplateOptions,
): Promise<ProtocolResult> {
  const { file, templates } = loadTemplates(opts.root, kind);
  const ds = new VggFace2Dataset({
    root: opts.root,
    split: 'test',
    images: opts.images,
    issues: new Issues({ strict: true }),
  });
  const index = new Map<string, number>();
  for (let i = 0; i < ds.size; i++) index.set(ds.relPath(i), i);
  const needed = [...new Set(templates.flatMap((t) => t.images))];
  const unlisted = needed.filter((img) => !index.has(img));
  if (unlisted.length)
    throw new Error(
      `${file}: ${unlisted.length} template image(s) are not in the test list, e.g. ${unlisted.slice(0, 5).join(', ')}`,
    );
  const subset = new Subset(
    ds,
    Int32Array.from(needed, (img) => index.get(img)!),
    `${kind} template images`,
  );
  const e = await embed(subset);
  const rows = rowOf(e, subset.size);
  const unusable = needed.filter((_, k) => rows[k] < 0);
  if (unusable.length)
    throw new Error(
      `${kind} templates: ${unusable.length} image(s) could not be read, e.g. ${unusable.slice(0, 5).join(', ')}`,
    );
  const slot = new Map(needed.map((img, k) => [img, rows[k]]));
  return scoreTemplates(
    templates,
    e,
    (img) => slot.get(img)!,
    kind,
    `${file}: ${templates.length} templates of ${new Set(templates.map((t) => t.identity)).size} identities, images ${ds.imagesRoot}`,
  );
}
