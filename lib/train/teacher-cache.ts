/**
 * A teacher's outputs kept per training image. When augmentation is off every epoch shows the
 * teacher the same pixels of an image, so its forward is needed once per image, not once per
 * epoch: the cache answers a batch whose images it all holds. Bounded in bytes; once full, what is
 * not in it is computed every time.
 */
export interface TeacherRows {
  embedding: Float32Array;
  logits?: Float32Array;
}

/** The default bound: 1 GiB holds 512-d embeddings of 500k images. */
export const TEACHER_CACHE_BYTES = 2 ** 30;

export class TeacherCache {
  private readonly rows = new Map<number, TeacherRows>();
  private bytes = 0;
  /** Images answered from the cache, and images the teacher had to run on. */
  hits = 0;
  misses = 0;

  constructor(private readonly maxBytes = TEACHER_CACHE_BYTES) {}

  /** The batch's outputs (rows in `indices` order) when every image is cached, else undefined. */
  get(indices: readonly number[], dim: number, classes: number): TeacherRows | undefined {
    const rows = indices.map((i) => this.rows.get(i));
    if (rows.some((r) => !r)) return undefined;
    const embedding = new Float32Array(indices.length * dim);
    const logits = rows[0]!.logits ? new Float32Array(indices.length * classes) : undefined;
    rows.forEach((r, k) => {
      embedding.set(r!.embedding, k * dim);
      if (logits) logits.set(r!.logits!, k * classes);
    });
    this.hits += indices.length;
    return { embedding, ...(logits ? { logits } : {}) };
  }

  /** Keeps a batch's outputs, image by image, while the bound allows. */
  put(indices: readonly number[], out: TeacherRows, dim: number, classes: number): void {
    this.misses += indices.length;
    indices.forEach((index, k) => {
      const size = 4 * (dim + (out.logits ? classes : 0));
      if (this.rows.has(index) || this.bytes + size > this.maxBytes) return;
      // Copies: the batch's arrays are not kept alive by a few rows.
      this.rows.set(index, {
        embedding: out.embedding.slice(k * dim, (k + 1) * dim),
        ...(out.logits ? { logits: out.logits.slice(k * classes, (k + 1) * classes) } : {}),
      });
      this.bytes += size;
    });
  }

  get images(): number {
    return this.rows.size;
  }
}
