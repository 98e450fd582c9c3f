/** Row-major float vectors: L2 normalisation and cosine similarities (dot products of unit rows). */

/** Normalises each row of an n × dim matrix in place; an all-zero row stays zero. */
export function l2NormalizeRows(data: Float32Array, dim: number): Float32Array {
  for (let o = 0; o < data.length; o += dim) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[o + j] * data[o + j];
    if (s === 0) continue;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) data[o + j] *= inv;
  }
  return data;
}

export function dot(a: Float32Array, i: number, b: Float32Array, j: number, dim: number): number {
  let s = 0;
  const oa = i * dim;
  const ob = j * dim;
  for (let k = 0; k < dim; k++) s += a[oa + k] * b[ob + k];
  return s;
}

/** Cosine similarities of every row of `a` (na rows) with every row of `b`, both unit rows: na × nb. */
export function similarityMatrix(a: Float32Array, b: Float32Array, dim: number): Float64Array {
  const na = a.length / dim;
  const nb = b.length / dim;
  const out = new Float64Array(na * nb);
  for (let i = 0; i < na; i++) for (let j = 0; j < nb; j++) out[i * nb + j] = dot(a, i, b, j, dim);
  return out;
}

/** Rows `rows` of an n × dim matrix, copied into a new matrix in that order. */
export function pickRows(data: Float32Array, dim: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * dim);
  for (let k = 0; k < rows.length; k++) out.set(data.subarray(rows[k] * dim, (rows[k] + 1) * dim), k * dim);
  return out;
}
