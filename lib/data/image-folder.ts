/** Image-folder datasets: one sub-folder per identity, images at any depth, formats found by magic bytes. */
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, loadAnnotations } from './annotations';
import { Issues } from './issues';
import { sniffFile } from './magic';
import type { Dataset, SampleSource } from './types';

export interface ImageFolderOptions {
  root: string;
  /** Optional `NAME_ID,X,Y,W,H` box CSV; NAME_ID is the path below root without extension. */
  boxes?: string;
  /** Optional `NAME_ID,P1X,...,P5Y` landmark CSV. */
  landmarks?: string;
  issues?: Issues;
  /**
   * Every image below root, flat or in sub-folders, as one class: faces without labels (a
   * distillation transfer set). The box and landmark CSVs are not taken for images.
   */
  unlabelled?: boolean;
}

/**
 * Classes are the sorted identity folder names (torchvision's ImageFolder order); files are
 * walked in sorted order so that indices are stable across runs and machines.
 */
export class ImageFolderDataset implements Dataset {
  readonly kind = 'folder';
  readonly description: string;
  readonly classes: readonly string[];
  readonly labels: Int32Array;
  readonly size: number;
  readonly root: string;
  readonly annotations: Annotations;
  private readonly paths: string[];

  constructor(opts: ImageFolderOptions) {
    const issues = opts.issues ?? new Issues();
    this.root = path.resolve(opts.root);
    if (!fs.existsSync(this.root)) throw new Error(`${opts.root}: no such directory`);
    if (!fs.statSync(this.root).isDirectory())
      throw new Error(`${opts.root}: is a file; expected a folder with one sub-folder of images per person`);
    const classes = opts.unlabelled
      ? ['']
      : listDir(this.root, issues)
          .filter((d) => !d.name.startsWith('.') && isDir(this.root, d))
          .map((d) => d.name)
          .sort();
    const csvs = new Set([opts.boxes, opts.landmarks].filter((f) => f !== undefined).map((f) => path.resolve(f)));
    const paths: string[] = [];
    const labels: number[] = [];
    const kept: string[] = [];
    for (const c of classes) {
      const before = paths.length;
      for (const rel of walk(this.root, c, issues)) {
        const abs = path.join(this.root, rel);
        if (csvs.has(abs)) continue;
        let info;
        try {
          info = sniffFile(abs);
        } catch (e) {
          issues.add('missing-file', `${abs}: ${(e as Error).message}`);
          continue;
        }
        if (info.size === 0) issues.add('empty-file', abs);
        else if (!info.format) issues.add('not-image', abs);
        else {
          paths.push(rel);
          labels.push(kept.length);
        }
      }
      // An identity folder with no usable image would be a class no sample can ever hit.
      if (paths.length > before) kept.push(c);
    }
    if (paths.length === 0)
      throw new Error(`${opts.root}: no images found ${opts.unlabelled ? 'below it' : 'in identity sub-folders'}`);
    this.classes = kept;
    this.paths = paths;
    this.labels = Int32Array.from(labels);
    this.size = paths.length;
    this.annotations = loadAnnotations(
      this.size,
      (i) => this.paths[i],
      { boxes: opts.boxes, landmarks: opts.landmarks },
      issues,
    );
    this.description = `image folder ${opts.root}: ${this.size} images, ${opts.unlabelled ? 'unlabelled' : `${kept.length} identities`}`;
  }

  relPath(i: number): string {
    return this.paths[i];
  }

  source(i: number): SampleSource {
    return {
      path: path.join(this.root, this.paths[i]),
      label: this.labels[i],
      box: this.annotations.box(i),
      landmarks: this.annotations.landmarksOf(i),
    };
  }
}

/** A directory entry whose name is valid UTF-8 (so a path made from it names the same file). */
interface Entry {
  name: string;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/**
 * Entries of `dir` read with byte names: a name that is not valid UTF-8 would come back from a
 * string readdir mangled (U+FFFD) and fail later with ENOENT, so it is counted and skipped here,
 * naming the folder and the bytes.
 */
function listDir(dir: string, issues: Issues): Entry[] {
  const out: Entry[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true, encoding: 'buffer' })) {
    const name = d.name.toString('utf8');
    if (!Buffer.from(name, 'utf8').equals(d.name)) {
      issues.add(
        'bad-file-name',
        `${dir}: entry ${JSON.stringify(d.name.toString('latin1'))} (hex ${d.name.toString('hex')})`,
      );
      continue;
    }
    out.push({ name, isDirectory: () => d.isDirectory(), isSymbolicLink: () => d.isSymbolicLink() });
  }
  return out;
}

function isDir(parent: string, d: Entry): boolean {
  if (d.isDirectory()) return true;
  // Follow symlinks to folders (datasets are often assembled from links).
  return (
    d.isSymbolicLink() && fs.statSync(path.join(parent, d.name), { throwIfNoEntry: false })?.isDirectory() === true
  );
}

/** Relative paths (with '/') of all non-hidden files below root/rel, sorted, depth-first. */
function* walk(root: string, rel: string, issues: Issues): Generator<string> {
  const entries = listDir(path.join(root, rel), issues).filter((d) => !d.name.startsWith('.'));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const d of entries) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (isDir(path.join(root, rel), d)) yield* walk(root, r, issues);
    else yield r;
  }
}
