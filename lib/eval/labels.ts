/**
 * Unique names for several weights files in one comparison. Fine-tuned models are all called
 * model.safetensors, so the file name alone merges them: each gets the shortest trailing run of
 * path parts that no other file shares (its run folder name in the usual case, `a/model.safetensors`
 * → `a`), dropping the file name when it is the same everywhere.
 */
import * as path from 'path';

export function uniqueLabels(files: readonly string[]): string[] {
  const parts = files.map((f) => path.resolve(f).split(path.sep).filter(Boolean));
  const base = parts.map((p) => p[p.length - 1]);
  if (files.length === 1 || new Set(base).size === base.length) return base;
  const sameBase = new Set(base).size === 1;
  const label = (p: string[], k: number) => {
    const tail = p.slice(Math.max(0, p.length - k));
    // All files share the name: the folders tell them apart (a/model.safetensors → a).
    return (sameBase && tail.length > 1 ? tail.slice(0, -1) : tail).join('/');
  };
  const out: string[] = [];
  for (let i = 0; i < files.length; i++) {
    let k = 1;
    const clash = (k: number) =>
      parts.some(
        (q, j) => j !== i && label(q, k) === label(parts[i], k) && path.resolve(files[j]) !== path.resolve(files[i]),
      );
    const max = parts[i].length;
    while (k < max && (clash(k) || (sameBase && k === 1))) k++;
    out.push(label(parts[i], k) || files[i]);
  }
  // The same file given twice still needs two labels.
  const seen = new Map<string, number>();
  return out.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n > 1 ? `${l} (${n})` : l;
  });
}
