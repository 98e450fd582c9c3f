import fs from 'fs';

/** A minimal independent safetensors reader for tests: header JSON + F32/I64 tensors. */
export function readSafetensors(file: string): {
  metadata: Record<string, string>;
  tensors: Map<string, { dtype: string; shape: number[]; data: Float32Array | BigInt64Array }>;
} {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.toString('utf8', 8, 8 + n));
  const tensors = new Map();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the file's JSON header
  for (const [name, t] of Object.entries<any>(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = t.data_offsets;
    const bytes = Buffer.from(buf.subarray(8 + n + b, 8 + n + e));
    const data =
      t.dtype === 'F32'
        ? new Float32Array(bytes.buffer, bytes.byteOffset, (e - b) / 4)
        : new BigInt64Array(bytes.buffer, bytes.byteOffset, (e - b) / 8);
    tensors.set(name, { dtype: t.dtype, shape: t.shape, data });
  }
  return { metadata: header.__metadata__ ?? {}, tensors };
}
