/**
 * A gallery on disk, crash-safe: `gallery.json` (the manifest: dimension, the weights it was made
 * with, one entry per row of the template file) and `templates-<generation>.f32` (rows of float32).
 * Enrolling appends rows to the template file and fsyncs them, then replaces the manifest
 * atomically (lib/io/atomic-write.ts); the manifest names how many rows count, so bytes appended by
 * a process killed before its manifest landed are never read (and are overwritten by the next
 * append). Removing marks a row dead in the manifest; when most rows are dead the templates are
 * rewritten into a new generation, the manifest switched to it, and only then the old file deleted.
 * One writer at a time (one process; the Gallery serialises its own calls).
 */
import * as fs from 'fs';
import * as path from 'path';
import { fsyncPath, writeFileAtomic } from '../io/atomic-write';

export const MANIFEST = 'gallery.json';
const FORMAT = 'vgg2-torch-gallery';
const VERSION = 1;

/** What the gallery's embeddings were made with; a search with other weights is refused. */
export interface GalleryWeights {
  /** SHA-256 of the weights file's bytes. */
  sha256: string;
  arch: string;
  inputSize: number;
  output: 'features' | 'embedding';
  /** The file's name when the gallery was made (for messages only). */
  file: string;
}

/** One row of the template file: its identity and how many images made it, or null once removed. */
export type Row = { id: string; images: number } | null;

export interface Manifest {
  format: typeof FORMAT;
  version: number;
  dim: number;
  weights: GalleryWeights;
  generation: number;
  rows: Row[];
}

export const templatesFile = (dir: string, generation: number) => path.join(dir, `templates-${generation}.f32`);

/** Reads and checks the manifest; every problem names the file. */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, MANIFEST);
  let m: Manifest;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT')
      throw new Error(`${dir}: no gallery here (no ${MANIFEST}); create one by enrolling`, { cause: e });
    throw new Error(`${file}: not a readable gallery manifest: ${err.message}`, { cause: e });
  }
  if (m?.format !== FORMAT) throw new Error(`${file}: not a vgg2-torch gallery manifest`);
  if (m.version !== VERSION) throw new Error(`${file}: gallery version ${m.version}; this vgg2-torch reads ${VERSION}`);
  if (!Number.isInteger(m.dim) || m.dim < 1 || !Array.isArray(m.rows) || !Number.isInteger(m.generation))
    throw new Error(`${file}: damaged manifest (dim, rows or generation)`);
  return m;
}

/** The manifest's rows of templates (a file longer than that holds an interrupted append: ignored). */
export function readTemplates(dir: string, m: Manifest): Float32Array {
  const file = templatesFile(dir, m.generation);
  const bytes = m.rows.length * m.dim * 4;
  const out = new Float32Array(m.rows.length * m.dim);
  if (bytes === 0) return out;
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new Error(`${file}: the gallery's templates are missing: ${(e as Error).message}`, { cause: e });
  }
  try {
    const got = fs.readSync(fd, new Uint8Array(out.buffer), 0, bytes, 0);
    if (got !== bytes)
      throw new Error(`${file}: ${got} bytes where the manifest promises ${m.rows.length} rows of ${m.dim} (${bytes})`);
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

/** Appends rows at row index `at` (overwriting anything after it), durably, before the manifest names them. */
export function appendTemplates(dir: string, generation: number, at: number, dim: number, rows: Float32Array): void {
  const fd = fs.openSync(templatesFile(dir, generation), fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o644);
  try {
    fs.writeSync(fd, new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength), 0, rows.byteLength, at * dim * 4);
    fs.ftruncateSync(fd, (at * dim + rows.length) * 4);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function writeManifest(dir: string, m: Manifest): void {
  writeFileAtomic(path.join(dir, MANIFEST), JSON.stringify(m));
}

/** A new generation holding only `rows` (live templates): written, fsynced, switched to, then the old one deleted. */
export function compact(dir: string, m: Manifest, live: Row[], templates: Float32Array): Manifest {
  const next: Manifest = { ...m, generation: m.generation + 1, rows: live };
  writeFileAtomic(
    templatesFile(dir, next.generation),
    new Uint8Array(templates.buffer, templates.byteOffset, templates.byteLength),
  );
  writeManifest(dir, next);
  fs.rmSync(templatesFile(dir, m.generation), { force: true });
  return next;
}

/** Template files of other generations: left by a compaction killed before its clean-up. */
export function removeStale(dir: string, m: Manifest): void {
  for (const f of fs.readdirSync(dir)) {
    const g = /^templates-(\d+)\.f32$/.exec(f);
    if (g && Number(g[1]) !== m.generation) fs.rmSync(path.join(dir, f), { force: true });
  }
}

/** A new, empty gallery folder. */
export function createStore(dir: string, dim: number, weights: GalleryWeights): Manifest {
  fs.mkdirSync(dir, { recursive: true });
  const m: Manifest = { format: FORMAT, version: VERSION, dim, weights, generation: 0, rows: [] };
  writeManifest(dir, m);
  fsyncPath(dir);
  return m;
}
