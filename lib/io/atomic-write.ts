/**
 * Result files appear whole or not at all: the bytes go to a temporary name in the target's folder,
 * are fsynced, renamed over the target, and the folder is fsynced so that the rename survives a
 * crash too. A failure removes the temporary file and names the target.
 */
import * as fs from 'fs';
import * as path from 'path';

/** fsync of a file or a folder by path (a folder's fsync makes the renames in it durable). */
export function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

let counter = 0;

function failure(file: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const why = err.code === 'EISDIR' ? 'it is a directory' : err.message;
  return Object.assign(new Error(`cannot write ${file}: ${why}`), { code: err.code });
}

/** Writes `data` to `file` atomically: text, bytes, or byte chunks (written in order, never concatenated). */
export function writeFileAtomic(file: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  // pid + counter: two writers of one file (processes, or calls in one process) never share a temporary.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${counter++}`);
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      const chunks = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
      for (const chunk of chunks) fs.writeFileSync(fd, chunk);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw failure(file, e);
  }
  fsyncPath(path.dirname(file));
}
