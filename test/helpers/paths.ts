import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawnSync } from 'child_process';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const shared = path.resolve(repoRoot, '..', 'shared');
export const referenceDir = path.join(shared, 'reference');
export const dataDir = path.join(shared, 'data');
export const systemPython = '/usr/bin/python3';

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `vgg2-${prefix}-`));
}

/** Runs Debian's python3 (torch 1.13, numpy) and returns stdout; throws with stderr on failure. */
export function python(args: string[], cwd = referenceDir): string {
  const r = spawnSync(systemPython, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function pythonHas(module: string): boolean {
  return spawnSync(systemPython, ['-c', `import ${module}`]).status === 0;
}
