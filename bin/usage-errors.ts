import * as path from 'path';

/** Usage errors that say what to type instead (issue 18.9): the nearest flag, the command's own --help. */

/** Edit distance (insert, delete, substitute), for "did you mean". */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The known flag nearest to `given` when it is close enough to be a typo (or a prefix), else undefined. */
export function nearestFlag(given: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = k.startsWith(given) || given.startsWith(k) ? 1 : levenshtein(given, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(given.length / 3)) ? best : undefined;
}

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** What the command line looked like when yargs failed: the command path and its visible flags. */
export interface UsageContext {
  commands: string[];
  flags: string[];
  /** The raw arguments, to tell an unknown flag from a stray word. */
  argv: readonly string[];
}

/**
 * yargs' "Unknown arguments: max-step, maxStep" as "unknown flag --max-step (did you mean --max-steps?)":
 * its camelCase twins dropped, each nearest visible flag suggested. Other messages pass through.
 */
export function explainUsageError(message: string, ctx: UsageContext | undefined): string {
  const help = `run vgg2-torch ${ctx?.commands.length ? ctx.commands.join(' ') + ' ' : ''}--help for usage`;
  const m = /^Unknown arguments?: (.*)$/s.exec(message);
  if (!m) return `error: ${message}\n(${help})`;
  const names = m[1].split(', ').map((s) => s.trim());
  const shown = names.filter((n) => !names.some((o) => o !== n && o.includes('-') && camel(o) === n));
  const isFlag = (n: string) =>
    ctx?.argv.some((a) => a.replace(/=.*$/, '').replace(/^--?(no-)?/, '') === n && a.startsWith('-'));
  const parts = shown.map((n) => {
    if (!isFlag(n)) return `argument "${n}"`;
    const near = ctx ? nearestFlag(n, ctx.flags) : undefined;
    return `flag --${n}${near ? ` (did you mean --${near}?)` : ''}`;
  });
  return `error: unknown ${parts.join(', ')}\n(${help})`;
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied (choose a folder you can write to)',
  EPERM: 'operation not permitted (choose a folder you can write to)',
  EROFS: 'the file system is read-only (choose another folder)',
  ENOTDIR: 'a part of this path is a file, not a folder (choose a path under a folder)',
  EEXIST: 'a file is in the way (choose another path)',
  ENOSPC: 'no space left on the device',
  ENOENT: 'no such file or folder',
  EISDIR: 'this is a folder, a file was expected',
};

/**
 * A system error (EACCES, ENOTDIR, ...) as one line naming the flag whose path it is and the reason;
 * undefined for other errors.
 */
export function explainSystemError(err: unknown, argv: readonly string[]): string | undefined {
  const e = err as NodeJS.ErrnoException;
  if (!e || typeof e.code !== 'string' || !REASONS[e.code] || !e.path) return undefined;
  const target = path.resolve(e.path);
  // The flag whose value is this path or a folder above it (--out runs/x for runs/x/checkpoints).
  let flag: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].startsWith('--') ? argv[i].split(/=(.*)/s) : [];
    const value = inline ?? argv[i + 1];
    if (!name || value === undefined || value.startsWith('-')) continue;
    const v = path.resolve(value);
    if (target === v || target.startsWith(v + path.sep) || v.startsWith(target + path.sep)) flag = `${name} ${value}`;
  }
  return `error: ${flag ? `${flag}: ` : ''}${e.path}: ${REASONS[e.code]}`;
}
