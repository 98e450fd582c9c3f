/** Writing embeddings: .npy (the matrix), .safetensors (matrix + labels, paths in the metadata) or .jsonl (one line per image with its path). */
import * as fs from 'fs';
import { encodeNpy } from '../io/npy';
import type { Embeddings } from './embed';

function safetensors(e: Embeddings, paths: string[]): Buffer {
  const n = e.indices.length;
  const emb = Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength);
  const labels = Buffer.from(e.labels.buffer, e.labels.byteOffset, e.labels.byteLength);
  const header: Record<string, unknown> = {
    __metadata__: { format: 'vgg2-torch-embeddings', paths: JSON.stringify(paths) },
    embeddings: { dtype: 'F32', shape: [n, e.dim], data_offsets: [0, emb.length] },
    labels: { dtype: 'I32', shape: [n], data_offsets: [emb.length, emb.length + labels.length] },
  };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // keeps the tensors 8-byte aligned
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([head, Buffer.from(json), emb, labels]);
}

/** `paths[r]` names row r. The format follows the extension; the file appears whole or not at all. */
export function writeEmbeddings(file: string, e: Embeddings, paths: string[]): void {
  let body: Buffer | string;
  if (file.endsWith('.npy')) body = encodeNpy({ shape: [e.indices.length, e.dim], data: e.data });
  else if (file.endsWith('.safetensors')) body = safetensors(e, paths);
  else if (file.endsWith('.jsonl')) {
    body = paths.map((p, r) => JSON.stringify({ path: p, label: e.labels[r], embedding: Array.from(e.data.subarray(r * e.dim, (r + 1) * e.dim)) })).join('\n') + '\n';
  } else throw new Error(`${file}: unknown output format (use .npy, .safetensors or .jsonl)`);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, body);
  fs.renameSync(tmp, file);
}
