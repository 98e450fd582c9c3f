/** The description a gallery keeps of the weights that made its embeddings (see store.ts). */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Model } from '../model';
import { resolveOutput, type EmbeddingOutput } from '../eval/embed';
import type { GalleryWeights } from './store';

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Hashes the weights file (streamed: ~0.3 s per 100 MB) and notes the model's arch and output. */
export async function describeGalleryWeights(
  file: string,
  model: Model,
  output?: EmbeddingOutput,
): Promise<GalleryWeights> {
  const d = model.describe();
  const out = resolveOutput(model, output);
  return {
    sha256: await sha256File(file),
    arch: d.arch,
    inputSize: d.inputSize,
    output: out,
    file: path.basename(file),
  };
}

/** Null when `w` made the gallery's embeddings, else why not. */
export function weightsMismatch(gallery: GalleryWeights, w: GalleryWeights): string | null {
  if (gallery.sha256 === w.sha256 && gallery.output === w.output) return null;
  const what = gallery.sha256 !== w.sha256 ? `weights ${w.file}` : `output '${w.output}'`;
  return (
    `this gallery was made with weights ${gallery.file} (${gallery.arch}, ${gallery.output}, sha256 ` +
    `${gallery.sha256.slice(0, 12)}…), not ${what}: embeddings of different models are not comparable`
  );
}
