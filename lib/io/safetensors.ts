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

const ELEMENT_BYTES: Record<SafetensorsArray['dtype'], number> = { F32: 4, F64: 8, I32: 4, I64: 8 };

/**
 * Every tensor of a safetensors file (F32, F64, I32, I64), each in its own aligned copy, with the
 * metadata: what code outside the addon needs to walk a model's weights (the ONNX exporter).
 */
export function readSafetensors(file: string): {
  metadata: Record<string, string>;
  tensors: Map<string, SafetensorsArray>;
} {
  const header = readSafetensorsHeader(file);
  const buf = fs.readFileSync(file);
  const start = 8 + Number(buf.readBigUInt64LE(0));
  const tensors = new Map<string, SafetensorsArray>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = entry as {
      dtype: SafetensorsArray['dtype'];
      shape: number[];
      data_offsets: [number, number];
    };
    const size = ELEMENT_BYTES[dtype];
    if (!size) throw new Error(`${file}: tensor '${name}' has dtype ${dtype}, not F32, F64, I32 or I64`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (offsets[1] - offsets[0] !== count * size || start + offsets[1] > buf.length)
      throw new Error(`${file}: tensor '${name}' does not match its shape or lies past the end: the file is corrupt`);
    // A copy: the file's data section is not aligned for typed arrays.
    const bytes = new Uint8Array(buf.subarray(start + offsets[0], start + offsets[1]));
    const data =
      dtype === 'F32'
        ? new Float32Array(bytes.buffer)
        : dtype === 'F64'
          ? new Float64Array(bytes.buffer)
          : dtype === 'I32'
            ? new Int32Array(bytes.buffer)
            : new BigInt64Array(bytes.buffer);
    tensors.set(name, { dtype, shape, data });
  }
  return { metadata: header.__metadata__ ?? {}, tensors };
}
