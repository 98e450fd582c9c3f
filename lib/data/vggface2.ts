/** VGGFace2 as released: identity_meta.csv, train/test lists (plain or .gz), loose boxes/landmarks, templates. */
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, loadAnnotations } from './annotations';
import { eachCsvRow, findMaybeGz, lineRanges, readMaybeGz } from './csv';
import { Issues } from './issues';
import { needsContainmentCheck, resolveInside } from './paths';
import type { Dataset, SampleSource } from './types';

export interface IdentityMeta {
  id: string;
  name: string;
  sampleNum: number;
  /** 1: one of the 8,631 training identities; 0: one of the 500 test identities. */
  flag: number;
  gender: string;
}

export type Split = 'train' | 'test';

/** Where the metadata files of a VGGFace2 root are (released layout or flattened). */
export interface VggFace2Files {
  identityMeta: string;
  list: Partial<Record<Split, string>>;
  boxes: Partial<Record<Split, string>>;
  landmarks: Partial<Record<Split, string>>;
  poseTemplates?: string;
  ageTemplates?: string;
}

function firstExisting(root: string, names: string[]): string | undefined {
  for (const dir of ['meta', '.', 'bb_landmark']) {
    for (const n of names) {
      const f = findMaybeGz(path.join(root, dir, n));
      if (f) return f;
    }
  }
  return undefined;
}

/**
 * What in `dir` says it is a VGGFace2 root, other than identity_meta.csv: the list files, the box
 * and landmark CSVs, and train/ or test/ folders of `nXXXXXX` identity folders. An image folder
 * has none of these (its train/ and test/ would hold people, not `n000002/`).
 */
export function vggFace2Markers(dir: string): string[] {
  const found: string[] = [];
  for (const n of [
    'train_list.txt',
    'test_list.txt',
    'loose_bb_train.csv',
    'loose_bb_test.csv',
    'loose_landmark_train.csv',
  ]) {
    const f = firstExisting(dir, [n]);
    if (f) found.push(path.relative(dir, f));
  }
  for (const s of ['train', 'test']) {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(dir, s));
    } catch {
      continue;
    }
    const id = names.find((n) => /^n\d{6}$/.test(n));
    if (id) found.push(`${s}/${id}/`);
  }
  return found;
}

/**
 * Locate the metadata of a VGGFace2 root, or undefined when `root` is not one. A root with
 * VGGFace2's other files but no identity_meta.csv is an error, not an image folder: read as one
 * it would train a 2-class model on the folders train/ and test/.
 */
export function findVggFace2Files(root: string): VggFace2Files | undefined {
  const identityMeta = firstExisting(root, ['identity_meta.csv']);
  if (!identityMeta) {
    const markers = vggFace2Markers(root);
    if (markers.length > 0)
      throw new Error(
        `${root}: looks like a VGGFace2 root (found ${markers.join(', ')}) but meta/identity_meta.csv is missing: ` +
          'restore it from the VGGFace2 metadata download, or give --data a folder with one sub-folder per identity',
      );
    return undefined;
  }
  const files: VggFace2Files = { identityMeta, list: {}, boxes: {}, landmarks: {} };
  for (const s of ['train', 'test'] as const) {
    files.list[s] = firstExisting(root, [`${s}_list.txt`]);
    files.boxes[s] = firstExisting(root, [`loose_bb_${s}.csv`]);
    files.landmarks[s] = firstExisting(root, [`loose_landmark_${s}.csv`]);
  }
  files.poseTemplates = firstExisting(root, ['test_posetemp_imglist.txt']);
  files.ageTemplates = firstExisting(root, ['test_agetemp_imglist.txt']);
  return files;
}

export function isVggFace2Root(dir: string): boolean {
  return findVggFace2Files(dir) !== undefined;
}

/** Parse identity_meta.csv (`Class_ID, Name, Sample_Num, Flag, Gender`), in file order. */
export function readIdentityMeta(file: string, issues: Issues): IdentityMeta[] {
  const out: IdentityMeta[] = [];
  eachCsvRow(file, issues, ['Class_ID', 'Name', 'Sample_Num', 'Flag', 'Gender'], (f, line) => {
    const flag = Number(f[3]);
    if (!/^\S+$/.test(f[0]) || (flag !== 0 && flag !== 1)) {
      issues.add('malformed-line', `${file}:${line}: bad Class_ID or Flag`);
      return;
    }
    out.push({ id: f[0], name: f[1], sampleNum: Number(f[2]), flag, gender: f[4] });
  });
  return out;
}

export interface VggFace2Options {
  /** Root holding meta/ (identity_meta.csv, lists) and bb_landmark/. */
  root: string;
  split?: Split;
  /** Folder holding this split's `nXXXXXX/` folders; default `<root>/<split>` (or root). */
  images?: string;
  /** Keep only listed files that exist under `images` (for partial copies such as samples/). */
  onlyExisting?: boolean;
  /** Read loose boxes / landmarks when present (default true). */
  annotations?: boolean;
  issues?: Issues;
}

/**
 * One split of VGGFace2. Labels index this split's identities in identity_meta.csv order (Flag 1
 * for train: the class order of the released classifiers). Paths live in the list file's own
 * buffer as byte ranges: the 3.1M-line train list costs ~63 MB + 12 bytes per image.
 */
export class VggFace2Dataset implements Dataset {
  readonly kind = 'vggface2';
  readonly description: string;
  readonly classes: readonly string[];
  readonly identities: readonly IdentityMeta[];
  readonly labels: Int32Array;
  readonly size: number;
  readonly imagesRoot: string;
  readonly files: VggFace2Files;
  readonly annotations: Annotations;
  private readonly buf: Buffer;
  private readonly starts: Uint32Array;
  private readonly ends: Uint32Array;

  constructor(opts: VggFace2Options) {
    const issues = opts.issues ?? new Issues();
    const split = opts.split ?? 'train';
    const files = findVggFace2Files(opts.root);
    if (!files) throw new Error(`${opts.root}: not a VGGFace2 root (no meta/identity_meta.csv)`);
    const listFile = files.list[split];
    if (!listFile) throw new Error(`${opts.root}: no ${split}_list.txt[.gz] found (looked in meta/ and the root)`);
    this.files = files;
    const defaultImages = path.join(opts.root, split);
    this.imagesRoot = path.resolve(opts.images ?? (fs.existsSync(defaultImages) ? defaultImages : opts.root));

    const all = readIdentityMeta(files.identityMeta, issues);
    const flag = split === 'train' ? 1 : 0;
    this.identities = all.filter((m) => m.flag === flag);
    this.classes = this.identities.map((m) => m.id);
    const classOf = new Map<string, number>();
    this.classes.forEach((c, k) => classOf.set(c, k));
    const known = new Set(all.map((m) => m.id));

    const buf = readMaybeGz(listFile);
    const { starts, ends, lineNos, count } = lineRanges(buf);
    if (count === 0) throw new Error(`${listFile}: empty list; expected one IDENTITY/FILE line per image`);
    const labels = new Int32Array(count);
    const exists = opts.onlyExisting ? new ExistenceCache(this.imagesRoot) : undefined;
    let kept = 0;
    // The list is grouped by identity: compare the class prefix bytes with the previous line's
    // instead of making a string per line.
    let prevStart = 0;
    let prevSlash = -1;
    let prevLabel = -1;
    const dups = new DuplicateFinder(buf, starts, ends, lineNos);
    for (let k = 0; k < count; k++) {
      const s = starts[k];
      const e = ends[k];
      let slash = buf.indexOf(47, s);
      if (slash === -1 || slash >= e) slash = -1;
      if (slash <= s) {
        issues.add('malformed-line', `${listFile}:${lineNos[k]}: expected IDENTITY/FILE`);
        continue;
      }
      let label: number;
      if (
        prevSlash !== -1 &&
        slash - s === prevSlash - prevStart &&
        buf.compare(buf, prevStart, prevSlash, s, slash) === 0
      ) {
        label = prevLabel;
      } else {
        const id = buf.toString('utf8', s, slash);
        label = classOf.get(id) ?? -1;
        if (label < 0) {
          const why = known.has(id) ? `is not a ${split} identity (Flag≠${flag})` : 'is not in identity_meta.csv';
          issues.add('unknown-identity', `${listFile}:${lineNos[k]}: ${id} ${why}`);
        }
        prevStart = s;
        prevSlash = slash;
        prevLabel = label;
        if (label >= 0) dups.startRun(label, kept);
      }
      if (label < 0) continue;
      // Only odd-looking lines pay for path.resolve.
      if (buf.subarray(s, e).includes('..')) {
        const rel = buf.toString('utf8', s, e);
        if (needsContainmentCheck(rel) && !resolveInside(this.imagesRoot, this.imagesRoot, rel)) {
          issues.add('outside-root', `${listFile}:${lineNos[k]}: ${rel}`);
          continue;
        }
      } else if (buf[s] === 47) {
        issues.add('outside-root', `${listFile}:${lineNos[k]}: absolute path`);
        continue;
      }
      if (exists && !exists.has(buf.toString('utf8', s, e))) continue;
      // A path listed twice would be two samples of one image: it could land on both sides of a
      // train/held-out split.
      const first = dups.firstLine(s, e, lineNos[k], kept);
      if (first !== undefined) {
        issues.add(
          'duplicate',
          `${listFile}:${lineNos[k]}: ${buf.toString('utf8', s, e)} already listed at line ${first}`,
        );
        continue;
      }
      lineNos[kept] = lineNos[k];
      starts[kept] = s;
      ends[kept] = e;
      labels[kept] = label;
      kept++;
    }
    if (kept === 0)
      throw new Error(
        `${listFile}: none of its ${count} lines is a usable ${split} image${issues.count() ? ` (${issues.kinds.join(', ')})` : ''}`,
      );
    this.buf = buf;
    this.starts = starts.slice(0, kept);
    this.ends = ends.slice(0, kept);
    this.labels = labels.slice(0, kept);
    this.size = kept;
    this.annotations =
      opts.annotations === false
        ? new Annotations()
        : loadAnnotations(
            kept,
            (i) => this.relPath(i),
            { boxes: files.boxes[split], landmarks: files.landmarks[split] },
            issues,
          );
    this.description =
      `VGGFace2 ${split} split at ${opts.root} (images ${this.imagesRoot}): ${kept} images, ${this.classes.length} identities` +
      (this.annotations.boxes ? ', loose boxes' : '') +
      (this.annotations.landmarks ? ', 5-point landmarks' : '');
  }

  relPath(i: number): string {
    return this.buf.toString('utf8', this.starts[i], this.ends[i]);
  }

  source(i: number): SampleSource {
    return {
      path: path.resolve(this.imagesRoot, this.relPath(i)),
      label: this.labels[i],
      box: this.annotations.box(i),
      landmarks: this.annotations.landmarksOf(i),
    };
  }
}

/**
 * Finds repeated list lines without a string per line of the whole list. The list is grouped by
 * identity and, within one, usually sorted: while a run of one identity's lines keeps increasing
 * (one byte compare per line) no line can repeat an earlier one. Only a run that breaks order, or
 * an identity that shows up again later, gets a map of its kept lines.
 */
class DuplicateFinder {
  private seen?: Map<string, number>;
  private label = -1;
  private runStart = 0;
  private prevS = -1;
  private prevE = -1;
  private readonly runs = new Map<number, [number, number][]>();

  /** `starts`/`ends`/`lineNos` below the kept count hold the kept lines. */
  constructor(
    private readonly buf: Buffer,
    private readonly starts: Uint32Array,
    private readonly ends: Uint32Array,
    private readonly lineNos: Uint32Array,
  ) {}

  /** A new run of lines of `label` begins at kept index `kept`. */
  startRun(label: number, kept: number): void {
    if (this.label >= 0 && kept > this.runStart) {
      const r = this.runs.get(this.label) ?? [];
      r.push([this.runStart, kept]);
      this.runs.set(this.label, r);
    }
    this.label = label;
    this.runStart = kept;
    this.prevS = -1;
    const earlier = this.runs.get(label);
    this.seen = earlier ? this.mapOf(earlier) : undefined;
  }

  /** Line where the path at bytes s..e was first listed, or undefined (and it is remembered). */
  firstLine(s: number, e: number, line: number, kept: number): number | undefined {
    if (!this.seen) {
      if (this.prevS < 0 || this.buf.compare(this.buf, s, e, this.prevS, this.prevE) < 0) {
        this.prevS = s;
        this.prevE = e;
        return undefined;
      }
      this.seen = this.mapOf([[this.runStart, kept]]);
    }
    const key = this.buf.toString('latin1', s, e);
    const first = this.seen.get(key);
    if (first === undefined) this.seen.set(key, line);
    return first;
  }

  private mapOf(ranges: [number, number][]): Map<string, number> {
    const m = new Map<string, number>();
    for (const [a, b] of ranges)
      for (let j = a; j < b; j++) m.set(this.buf.toString('latin1', this.starts[j], this.ends[j]), this.lineNos[j]);
    return m;
  }
}

/** Existence of files below a root, one readdir per identity folder instead of one stat per file. */
class ExistenceCache {
  private readonly dirs = new Map<string, Set<string>>();
  constructor(private readonly root: string) {}
  has(rel: string): boolean {
    const dir = path.dirname(rel);
    let set = this.dirs.get(dir);
    if (!set) {
      try {
        set = new Set(fs.readdirSync(path.join(this.root, dir)));
      } catch {
        set = new Set();
      }
      this.dirs.set(dir, set);
    }
    return set.has(path.basename(rel));
  }
}

export type TemplateKind = 'front' | 'three-quarter' | 'profile' | 'young' | 'mature';

export interface Template {
  identity: string;
  kind: TemplateKind;
  /** Image paths as listed (`nXXXXXX/NNNN_NN.jpg`). */
  images: string[];
}

/**
 * Parse a template list: per identity a block of lines, split into 2 templates per pose (front,
 * three-quarter, profile) or per age (young, mature); the template size is the block length
 * divided by the number of templates (5 in the release, smaller in demo data).
 */
export function readTemplates(file: string, kind: 'pose' | 'age', issues: Issues): Template[] {
  const kinds: TemplateKind[] =
    kind === 'pose'
      ? ['front', 'front', 'three-quarter', 'three-quarter', 'profile', 'profile']
      : ['young', 'young', 'mature', 'mature'];
  const text = readMaybeGz(file).toString('utf8');
  const blocks: { id: string; lines: string[]; line: number }[] = [];
  text.split('\n').forEach((raw, k) => {
    const l = raw.trim();
    if (!l) return;
    const slash = l.indexOf('/');
    if (slash <= 0) {
      issues.add('malformed-line', `${file}:${k + 1}: expected IDENTITY/FILE`);
      return;
    }
    const id = l.slice(0, slash);
    const last = blocks[blocks.length - 1];
    if (last && last.id === id) last.lines.push(l);
    else blocks.push({ id, lines: [l], line: k + 1 });
  });
  const out: Template[] = [];
  for (const b of blocks) {
    if (b.lines.length % kinds.length !== 0) {
      issues.add(
        'malformed-line',
        `${file}:${b.line}: ${b.id} has ${b.lines.length} images, not a multiple of ${kinds.length}`,
      );
      continue;
    }
    const t = b.lines.length / kinds.length;
    kinds.forEach((k, j) => out.push({ identity: b.id, kind: k, images: b.lines.slice(j * t, (j + 1) * t) }));
  }
  return out;
}
