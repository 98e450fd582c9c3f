/**
 * safetensors in TypeScript, for what is not a model: the header of a file (a checkpoint's trainer
 * state without its tensors) and files of plain arrays (embeddings). Models are written natively.
 */
import * as fs from 'fs';

export interface SafetensorsArray {
  dtype: 'F32' | 'F64' | 'I32' | 'I64';
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array;
}

/** A file's chunks: the 8-byte length, the JSON header space-padded to a multiple of 8 bytes, the data. */
export function encodeSafetensors(
  arrays: Record<string, SafetensorsArray>,
  metadata?: Record<string, string>,
): Uint8Array[] {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const data: Uint8Array[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    const bytes = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
    header[name] = { dtype: a.dtype, shape: a.shape, data_offsets: [offset, offset + bytes.length] };
    data.push(bytes);
    offset += bytes.length;
  }
  return [...encodeSafetensorsHeader(header), ...data];
}

/** The 8-byte length and the JSON header, space-padded to a multiple of 8 bytes. */
export function encodeSafetensorsHeader(header: Record<string, unknown>): [Buffer, Buffer] {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // Padded in bytes, not UTF-16 units: a non-ASCII value would otherwise misalign the data.
  const padded = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, ' ')]);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(padded.length));
  return [head, padded];
}

/** The JSON header of a safetensors file, read alone (the tensors may be gigabytes). */
export type SafetensorsHeader = Record<string, unknown> & { __metadata__?: Record<string, string> };

export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = fs.openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    if (fs.readSync(fd, len, 0, 8, 0) !== 8) throw new Error(`${file}: not a safetensors file (shorter than 8 bytes)`);
    const n = Number(len.readBigUInt64LE(0));
    if (n > 100_000_000) throw new Error(`${file}: not a safetensors file`);
    const header = Buffer.alloc(n);
    if (fs.readSync(fd, header, 0, n, 8) !== n) throw new Error(`${file}: not a safetensors file (header cut short)`);
    return JSON.parse(header.toString('utf8'));
  } finally {
    fs.closeSync(fd);
  }
}
