/**
 * Files the package reads by path (images, lists, JSON) must be regular files of a sane size:
 * `/dev/zero` would be read without bound, a FIFO blocks the process forever, a directory gives a
 * misleading "missing". stat() first (it never blocks, unlike open() on a FIFO), then read.
 */
import * as fs from 'fs';

/** An image larger than this is not a photo (a 60-megapixel JPEG is ~30 MiB). */
export const MAX_IMAGE_BYTES = 256 * 1024 * 1024;
/** Lists, CSVs and JSON: far above any real one, far below what would exhaust memory. */
export const MAX_TEXT_BYTES = 1024 * 1024 * 1024;

function kind(st: fs.Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;

/**
 * Throws a one-line error naming `file` (and `what` it is, e.g. "image") unless it is a regular
 * file of at most `maxBytes`; returns its size.
 */
export function checkInputFile(file: string, what: string, maxBytes: number): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'ENOTDIR' ? 'a folder in its path is a file' : code;
    throw new Error(`${file}: cannot read the ${what}: ${why}`, { cause: e });
  }
  if (!st.isFile()) throw new Error(`${file}: the ${what} must be a regular file, but it is ${kind(st)}`);
  if (st.size > maxBytes)
    throw new Error(`${file}: the ${what} is ${mib(st.size)}, over the ${mib(maxBytes)} limit: is it the right file?`);
  return st.size;
}

/** A text input (list, CSV, JSON) read whole after checkInputFile. */
export function readTextFile(file: string, what: string, maxBytes = MAX_TEXT_BYTES): string {
  checkInputFile(file, what, maxBytes);
  return fs.readFileSync(file, 'utf8');
}
