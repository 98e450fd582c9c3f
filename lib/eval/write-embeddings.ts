/**
 * Writing embeddings: .npy (the matrix), .safetensors (matrix + labels, paths in the metadata) or
 * .jsonl (one line per image with its path).
 */
import { writeFileAtomic } from '../io/atomic-write';
import { encodeNpy } from '../io/npy';
import { encodeSafetensors } from '../io/safetensors';
import type { Embeddings } from './embed';

/** `paths[r]` names row r. The format follows the extension; the file appears whole or not at all. */
export function writeEmbeddings(file: string, e: Embeddings, paths: string[]): void {
  let body: string | Uint8Array | Uint8Array[];
  if (file.endsWith('.npy')) body = encodeNpy({ shape: [e.indices.length, e.dim], data: e.data });
  else if (file.endsWith('.safetensors')) {
    const n = e.indices.length;
    body = encodeSafetensors(
      {
        embeddings: { dtype: 'F32', shape: [n, e.dim], data: e.data },
        labels: { dtype: 'I32', shape: [n], data: e.labels },
      },
      { format: 'vgg2-torch-embeddings', paths: JSON.stringify(paths) },
    );
  } else if (file.endsWith('.jsonl')) {
    body =
      paths
        .map((p, r) =>
          JSON.stringify({
            path: p,
            label: e.labels[r],
            embedding: Array.from(e.data.subarray(r * e.dim, (r + 1) * e.dim)),
          }),
        )
        .join('\n') + '\n';
  } else throw new Error(`${file}: unknown output format (use .npy, .safetensors or .jsonl)`);
  writeFileAtomic(file, body);
}
