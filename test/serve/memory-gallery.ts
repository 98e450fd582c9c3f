import { dot } from '../../lib/eval/vectors';
import type { SearchResult, ServedGallery } from '../../lib/serve/gallery-port';

/** An in-memory gallery: exact cosine search (the service's port; lib/gallery has the persisted one). */
export class MemoryGallery implements ServedGallery {
  readonly entries = new Map<string, Float32Array>();
  get size() {
    return this.entries.size;
  }
  async search(queries: Float32Array[], o: { k?: number; threshold?: number }): Promise<SearchResult[]> {
    return queries.map((q) => {
      const hits = [...this.entries]
        .map(([id, t]) => ({ id, score: dot(q, 0, t, 0, q.length) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, o.k ?? 5);
      return { hits, unknown: o.threshold !== undefined && !(hits[0]?.score >= o.threshold) };
    });
  }
  async enroll(id: string, e: Float32Array[], o: { replace?: boolean }) {
    if (this.entries.has(id) && !o.replace) throw new Error(`identity '${id}' exists (replace to overwrite)`);
    const t = new Float32Array(e[0].length);
    for (const v of e) v.forEach((x, i) => (t[i] += x));
    const n = Math.hypot(...t);
    this.entries.set(
      id,
      t.map((x) => x / n),
    );
  }
  async remove(id: string) {
    if (!this.entries.delete(id)) throw new Error(`no identity '${id}'`);
  }
}
