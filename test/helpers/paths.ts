import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawnSync } from 'child_process';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const shared = path.resolve(repoRoot, '..', 'shared');
export const referenceDir = path.join(shared, 'reference');
export const dataDir = path.join(shared, 'data');
export const systemPython = '/usr/bin/python3';

const made: string[] = [];

/** A fresh temporary folder, removed after the test file (test/helpers/cleanup.ts). */
export function tmpDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vgg2-${prefix}-`));
  made.push(dir);
  return dir;
}

export function removeTmpDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Runs Debian's python3 (torch 1.13, numpy) and returns stdout; throws with stderr on failure. */
export function python(args: string[], cwd = referenceDir): string {
  const r = spawnSync(systemPython, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * Whether a reference the tests compare against is installed. Away from CI a missing one skips
 * its tests with a note; CI installs them all (.ci/run), so there a missing one is an error.
 */
export function haveReference(what: string, ok: boolean): boolean {
  if (!ok && process.env.CI)
    throw new Error(`${what} is missing, but CI installs it (.ci/run): the checks that use it must run`);
  return ok;
}

/** Whether Debian's python3 can import `module` (no CI rule: for optional paths). */
export function pythonModuleExists(module: string): boolean {
  return spawnSync(systemPython, ['-c', `import ${module}`]).status === 0;
}

/** A Python reference the tests need (see haveReference). */
export function pythonHas(module: string): boolean {
  return haveReference(`python module ${module}`, pythonModuleExists(module));
}
