/**
 * Output targets (`--out`, `--json`, `--report`) checked before any work is done, and their
 * folders made one level at a time: Node's recursive mkdirSync loops forever under /proc (mkdir
 * gives ENOENT there, and it retries the parent), at 100% CPU and deaf to SIGTERM.
 */
import * as fs from 'fs';
import * as path from 'path';

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ENOENT':
      return 'a folder cannot be created there';
    default:
      return code ?? (e as Error).message;
  }
}

/**
 * The folders of `dir` that do not exist yet, outermost first, after checking that its nearest
 * existing ancestor is a folder (a file there is named). Errors name `flag` and its value `given`.
 */
function missingFolders(dir: string, flag: string, given: string): string[] {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(d);
    } catch (e) {
      // ENOTDIR: a file further up; the walk finds and names it.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        throw new Error(`${flag} ${given}: cannot use ${d}: ${why(e)}`, { cause: e });
    }
    if (st) {
      if (!st.isDirectory()) throw new Error(`${flag} ${given}: ${d} is a file, not a folder`);
      return missing.reverse();
    }
    missing.push(d);
    if (path.dirname(d) === d) return missing.reverse();
  }
}

/**
 * Makes `dir` and its missing parents, one level at a time; an error names `flag`, its value `given`
 * and the folder.
 */
export function makeDirs(dir: string, flag: string, given = dir): void {
  for (const d of missingFolders(dir, flag, given)) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      throw new Error(`${flag} ${given}: cannot create ${d}: ${why(e)}`, { cause: e });
    }
  }
}

/**
 * Checks, without creating anything, that the folder `dir` (named by `flag`) can be made or used:
 * its nearest existing ancestor is a folder that takes files. For checks before minutes of work
 * whose output folder is made only at the end of the setup.
 */
export function checkOutputDir(dir: string, flag: string, given = dir): void {
  const firstMissing = missingFolders(dir, flag, given)[0];
  const d = firstMissing ? path.dirname(firstMissing) : path.resolve(dir);
  // A real probe (root passes access() on /proc and read-only mounts): the first missing folder
  // made and removed again, or a file in the existing one.
  try {
    if (firstMissing) {
      fs.mkdirSync(firstMissing);
      fs.rmdirSync(firstMissing);
    } else {
      const probe = path.join(d, `.vgg2-probe-${process.pid}`);
      fs.closeSync(fs.openSync(probe, 'wx'));
      fs.rmSync(probe, { force: true });
    }
  } catch (e) {
    const what = firstMissing ? `cannot create ${firstMissing}` : `cannot write in ${d}`;
    throw new Error(`${flag} ${given}: ${what}: ${why(e)}`, { cause: e });
  }
}

/**
 * Checks that a result file can be written at `file` (named by `flag`) before the work that
 * produces it: not a folder, its folder made and writable. Nothing is left behind.
 */
export function checkOutputFile(file: string, flag: string, example = 'results.json'): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file);
  } catch {
    // does not exist yet: fine
  }
  if (st?.isDirectory())
    throw new Error(`${flag} ${file}: is a folder; give a file name, e.g. ${flag} ${path.join(file, example)}`);
  if (st && !st.isFile()) throw new Error(`${flag} ${file}: is not a regular file`);
  const dir = path.dirname(path.resolve(file));
  makeDirs(dir, flag, file);
  // A real probe, not access(): root passes access() on /proc and read-only mounts, where the
  // atomic write's temporary file would fail only after the work.
  const probe = path.join(dir, `.${path.basename(file)}.probe-${process.pid}`);
  try {
    fs.closeSync(fs.openSync(probe, 'wx'));
    fs.rmSync(probe, { force: true });
    if (st) fs.accessSync(file, fs.constants.W_OK);
  } catch (e) {
    throw new Error(`${flag} ${file}: cannot write there: ${why(e)}`, { cause: e });
  }
}
