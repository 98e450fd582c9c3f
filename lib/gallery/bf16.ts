/**
 * bf16 copies of unit vectors for the gallery's exact search: the upper 16 bits of each fp32,
 * rounded to nearest even — what LibTorch's own conversion gives, so the addon reads them as
 * kBFloat16 in place.
 */
export function toBf16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    // Templates are finite; NaN does not arise. Round half to even on the dropped 16 bits.
    out[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
  return out;
}
