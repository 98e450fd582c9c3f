/** Containment checks for listed paths: relative paths may climb (`../Data/...`) but must stay in the root. */
import * as path from 'path';

/** Absolute path of `rel` against `base`, or undefined when it leaves `root`. */
export function resolveInside(root: string, base: string, rel: string): string | undefined {
  const abs = path.resolve(base, rel);
  const r = path.relative(path.resolve(root), abs);
  return r === '' || r.startsWith('..') || path.isAbsolute(r) ? undefined : abs;
}

/** Cheap pre-check so that the 3.1M ordinary list lines skip path.resolve. */
export function needsContainmentCheck(rel: string): boolean {
  return rel.startsWith('/') || rel.includes('..') || rel.includes('\\') || /^[A-Za-z]:/.test(rel);
}
