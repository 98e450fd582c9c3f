/** NumPy .npy files (format 1.0/2.0, little-endian float32 / float64 / int32 / int64), read and written whole. */
import fs from 'fs';
import { writeFileAtomic } from './atomic-write';

export type NpyArray = { shape: number[]; data: Float32Array | Float64Array | Int32Array | BigInt64Array };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- typed-array constructors differ in their element types
const DESCR: Record<string, { ctor: any; bytes: number }> = {
  '<f4': { ctor: Float32Array, bytes: 4 },
  '<f8': { ctor: Float64Array, bytes: 8 },
  '<i4': { ctor: Int32Array, bytes: 4 },
  '<i8': { ctor: BigInt64Array, bytes: 8 },
};

export function parseNpy(buf: Buffer, name = 'array'): NpyArray {
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${name}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > buf.length) throw new Error(`${name}: truncated .npy header`);
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !DESCR[descr] || fortran || shapeText === undefined) {
    throw new Error(`${name}: unsupported .npy header ${header.trim()} (need little-endian f4/f8/i4/i8, C order)`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const { ctor, bytes } = DESCR[descr];
  const offset = start + headerLen;
  if (offset + count * bytes > buf.length) throw new Error(`${name}: truncated .npy data`);
  const copy = Buffer.from(buf.subarray(offset, offset + count * bytes)); // aligned copy
  return { shape, data: new ctor(copy.buffer, copy.byteOffset, count) };
}

export function readNpy(file: string): NpyArray {
  return parseNpy(fs.readFileSync(file), file);
}

export function encodeNpy(array: NpyArray): Buffer {
  // By tag, not instanceof: arrays made by the addon may come from another realm (vm contexts).
  const tag = Object.prototype.toString.call(array.data).slice(8, -1);
  const descr = (
    { Float32Array: '<f4', Float64Array: '<f8', Int32Array: '<i4', BigInt64Array: '<i8' } as Record<string, string>
  )[tag];
  if (!descr) throw new TypeError(`encodeNpy: unsupported array type ${tag}`);
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad so that the data starts on a 64-byte boundary, newline-terminated (the format's rule).
  const pad = 64 - ((10 + header.length + 1) % 64);
  header = header + ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

export function writeNpy(file: string, array: NpyArray): void {
  writeFileAtomic(file, encodeNpy(array));
}
