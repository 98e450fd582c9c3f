/**
 * LMDB cache of stage-1 images (cropped/aligned, resized, not yet augmented), one record per
 * sample, as raw uint8 RGB or JPEG. Training reads it through the same Dataset + loadBase API as a
 * live dataset; augmentation still happens per epoch.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { open, type Database, type RootDatabase } from 'lmdb';
import sharp from 'sharp';
import { DataError, Issues } from './issues';
import { loadBaseNative, nativeDecoder } from './decode-plans';
import { loadBase, type FaceOptions } from './transform';
import type { BaseImage, Dataset, SampleSource } from './types';

export const CACHE_FORMAT_VERSION = 1;

export type CacheEncoding = 'raw' | 'jpeg';

/** Everything that changes the stored pixels: a cache is only reused with identical settings. */
export interface CacheSettings {
  crop: FaceOptions['crop'];
  size: number;
  boxExtend: number;
  encoding: CacheEncoding;
  /** JPEG quality (ignored for raw). */
  quality: number;
  /**
   * Which resize made the stored JPEG images: the native decoder's (bilinear) or sharp's (lanczos3;
   * caches made before it existed).
   */
  resize?: 'native' | 'sharp';
}

export interface CacheMeta {
  version: number;
  settings: CacheSettings;
  /**
   * Where the images came from (`images`: the folder relPaths are relative to), and the dataset's
   * identity (to refuse mixing sources).
   */
  source: { data: string; description: string; size: number; fingerprint: string; images?: string };
  classes: string[];
  complete: boolean;
}

const RAW = 1;
const JPEG = 2;
const HEADER = 6; // format u8, channels u8, width u16, height u16

/** LMDB meta page layout (liblmdb 1.x as lmdb-js builds it, 64-bit): page header, then MDB_meta. */
const LMDB_MAGIC = 0xbeefc0de;
const LMDB_DATA_VERSION = 2;
const PAGE_HEADER = 24; // pgno u64, txnid u64, pad u16, flags u16, lower u16, upper u16
const META = {
  magic: PAGE_HEADER,
  version: PAGE_HEADER + 4,
  psize: PAGE_HEADER + 24, // mm_dbs[FREE_DBI].md_pad
  freeRoot: PAGE_HEADER + 64, // mm_dbs[0].md_root
  mainRoot: PAGE_HEADER + 112, // mm_dbs[1].md_root
  lastPage: PAGE_HEADER + 120,
  txnid: PAGE_HEADER + 128,
  end: PAGE_HEADER + 144,
};
const NO_PAGE = 0xffffffffffffffffn; // P_INVALID: an empty tree

/** Where an opened cache lives: lmdb-js keeps `data.mdb` in a folder for names without an extension. */
export interface CacheLocation {
  path: string;
  /** The LMDB data file: `path` itself, or `path/data.mdb`. */
  dataFile: string;
  subdir: boolean;
  /** False when prepare will create it. */
  exists: boolean;
}

function metaProblem(fd: number, size: number): string | undefined {
  const read = (off: number, n: number): Buffer => {
    const b = Buffer.alloc(n);
    const got = off < size ? fs.readSync(fd, b, 0, n, off) : 0;
    return b.subarray(0, got);
  };
  const first = read(0, META.end);
  if (first.length < META.end || first.readUInt32LE(META.magic) !== LMDB_MAGIC)
    return `not an LMDB file (no LMDB magic 0xBEEFC0DE at byte ${META.magic}); is it a cache made by vgg2-torch prepare?`;
  const version = first.readUInt32LE(META.version) & 0xffff;
  if (version !== LMDB_DATA_VERSION)
    return `LMDB data version ${version}, this lmdb reads ${LMDB_DATA_VERSION}; run prepare again with this version`;
  const psize = first.readUInt32LE(META.psize);
  if (psize < 512 || psize > 65536 || (psize & (psize - 1)) !== 0)
    return `corrupt LMDB meta page (page size ${psize}); run prepare again`;
  const cut = `truncated: ${size} bytes, shorter than`;
  const again = 'delete it and run prepare again (or copy it again in full)';
  if (size < 2 * psize) return `${cut} its two ${psize}-byte meta pages; ${again}`;
  // LMDB reads the meta copies at 0, psize/2 (overlapping sync; no magic there) and psize and
  // uses the newest transaction: every copy it may pick must describe pages inside the file, or
  // mapping them faults.
  const txn0 = first.readBigUInt64LE(META.txnid);
  let newest = first;
  for (const off of [0, psize / 2, psize]) {
    const m = read(off, META.end);
    if (off > 0 && m.readBigUInt64LE(META.txnid) < txn0) continue;
    if (m.readBigUInt64LE(META.txnid) >= newest.readBigUInt64LE(META.txnid)) newest = m;
    if (m.readUInt32LE(META.psize) !== psize) return `corrupt LMDB meta page at byte ${off}; ${again}`;
    const last = m.readBigUInt64LE(META.lastPage);
    const need = (last + 1n) * BigInt(psize);
    if (need > BigInt(size))
      return `${cut} its last page needs (${need} bytes, ${last + 1n} pages of ${psize}); ${again}`;
    for (const at of [META.freeRoot, META.mainRoot]) {
      const root = m.readBigUInt64LE(at);
      if (root !== NO_PAGE && (root < 2n || root > last))
        return `corrupt LMDB meta page at byte ${off} (root page ${root} outside pages 2..${last}); ${again}`;
    }
  }
  const damage = treeProblem(read, psize, newest);
  return damage && `damaged inside: ${damage}; ${again}`;
}

const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
const NODE_HEADER = 8; // lo u16, hi u16, flags u16, ksize u16 (MDB_node)

/**
 * Walks every branch and leaf page of the trees the meta page names (the free list, the main DB
 * and its named DBs), checking what LMDB follows without bounds checks: node offsets inside their
 * page, child and overflow page numbers inside the file, data sizes inside their page or overflow
 * run. Bit rot there makes a read fault; overflow pages (the records) are not read, so this costs
 * one read per branch/leaf page (~2 % of a cache of JPEG records).
 */
function treeProblem(read: (off: number, n: number) => Buffer, psize: number, meta: Buffer): string | undefined {
  const last = Number(meta.readBigUInt64LE(META.lastPage));
  const roots: [number, boolean][] = [
    [Number(meta.readBigUInt64LE(META.freeRoot)), false],
    [Number(meta.readBigUInt64LE(META.mainRoot)), true],
  ];
  const seen = new Set<number>();
  const stack: [number, boolean][] = roots.filter(([r]) => r !== Number(NO_PAGE));
  while (stack.length) {
    const [pgno, isMain] = stack.pop()!;
    if (pgno < 2 || pgno > last) return `page number ${pgno} outside pages 2..${last}`;
    if (seen.has(pgno)) return `page ${pgno} reached twice (a loop)`;
    seen.add(pgno);
    const page = read(pgno * psize, psize);
    const flags = page.readUInt16LE(18);
    const lower = page.readUInt16LE(20);
    const upper = page.readUInt16LE(22);
    if (page.length < psize || Number(page.readBigUInt64LE(0)) !== pgno || !(flags & (P_BRANCH | P_LEAF)))
      return `page ${pgno} is not a B-tree page`;
    if (lower > upper || PAGE_HEADER + upper > psize) return `page ${pgno}: free-space bounds ${lower}..${upper}`;
    for (let k = 0; k < lower >> 1; k++) {
      const node = PAGE_HEADER + page.readUInt16LE(PAGE_HEADER + 2 * k);
      if (node < PAGE_HEADER + upper || node + NODE_HEADER > psize) return `page ${pgno}: node ${k} outside the page`;
      const lo = page.readUInt16LE(node);
      const hi = page.readUInt16LE(node + 2);
      const nflags = page.readUInt16LE(node + 4);
      const data = node + NODE_HEADER + page.readUInt16LE(node + 6);
      if (data > psize) return `page ${pgno}: key of node ${k} runs past the page`;
      if (flags & P_BRANCH) {
        stack.push([lo + hi * 0x10000 + nflags * 0x100000000, isMain]);
        continue;
      }
      const dsize = lo + hi * 0x10000;
      if (nflags & F_BIGDATA) {
        if (data + 8 > psize) return `page ${pgno}: node ${k} runs past the page`;
        const ov = Number(page.readBigUInt64LE(data));
        const pages = Math.floor((PAGE_HEADER - 1 + dsize) / psize) + 1;
        if (ov < 2 || ov + pages - 1 > last)
          return `page ${pgno}: node ${k}'s ${dsize}-byte value on pages ${ov}..${ov + pages - 1}, outside pages 2..${last}`;
      } else if (data + dsize > psize) return `page ${pgno}: value of node ${k} runs past the page`;
      else if (nflags & F_SUBDATA) {
        // A named DB's record (MDB_db, 48 bytes; md_root at 40): its tree is walked too.
        if (!isMain || dsize < 48) return `page ${pgno}: node ${k} is a malformed sub-database record`;
        const root = page.readBigUInt64LE(data + 40);
        if (root !== NO_PAGE) stack.push([Number(root), false]);
      } else if (nflags & ~(F_BIGDATA | F_SUBDATA)) return `page ${pgno}: node ${k} has unknown flags ${nflags}`;
    }
  }
  return undefined;
}

/**
 * Check that `p` is a complete LMDB file before anything maps it: a truncated, zero-byte or foreign
 * file would make LMDB fault (SIGBUS/SIGSEGV) in the middle of a read. For writing (`prepare
 * --out`), a missing path or empty file/folder is fine (a new cache); anything else that is not an
 * LMDB file is refused, so that prepare never overwrites it. Throws a one-line Error.
 */
export function checkCacheFile(p: string, mode: 'read' | 'write' = 'read'): CacheLocation {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  const purpose =
    mode === 'write'
      ? 'refusing to write a cache there (choose another --out)'
      : 'not a cache made by vgg2-torch prepare';
  if (!st) {
    if (mode === 'write') return { path: p, dataFile: p, subdir: !path.extname(p), exists: false };
    throw new Error(`${p}: no such cache (make one with vgg2-torch prepare)`);
  }
  let dataFile = p;
  if (st.isDirectory()) {
    dataFile = path.join(p, 'data.mdb');
    if (!fs.existsSync(dataFile)) {
      if (mode === 'write' && fs.readdirSync(p).length === 0) return { path: p, dataFile, subdir: true, exists: false };
      throw new Error(`${p}: a folder without data.mdb, ${purpose}`);
    }
  }
  const dst = fs.statSync(dataFile);
  if (!dst.isFile()) throw new Error(`${dataFile}: not a regular file, ${purpose}`);
  const loc = { path: p, dataFile, subdir: st.isDirectory(), exists: true };
  if (dst.size === 0) {
    // LMDB initialises an empty file itself; to a reader it is an unfinished cache, not a folder.
    if (mode === 'write') return { ...loc, exists: false };
    throw new Error(
      `${dataFile}: zero-byte file, not a finished LMDB cache (an interrupted or failed prepare?); delete it and run prepare again`,
    );
  }
  const fd = fs.openSync(dataFile, 'r');
  let problem: string | undefined;
  try {
    problem = metaProblem(fd, dst.size);
  } finally {
    fs.closeSync(fd);
  }
  if (problem)
    throw new Error(
      `${dataFile}: ${problem}${mode === 'write' && problem.startsWith('not an LMDB') ? `; ${purpose}` : ''}`,
    );
  return loc;
}

function openEnv(
  file: string,
  readOnly: boolean,
): { env: RootDatabase; images: Database<Buffer, number>; info: Database<unknown, number | string> } {
  const loc = checkCacheFile(file, readOnly ? 'read' : 'write');
  // noSubdir explicit: lmdb-js guesses it from the name's extension, wrong for a folder named x.lmdb.
  const env = open({ path: file, noSubdir: !loc.subdir, maxDbs: 4, compression: false, readOnly });
  return {
    env,
    images: env.openDB<Buffer, number>({ name: 'images', encoding: 'binary', keyEncoding: 'uint32' }),
    info: env.openDB<unknown, number | string>({ name: 'info' }),
  };
}

/**
 * True for what can only be a cache: a file (datasets are folders), or a folder holding `data.mdb`
 * (prepare --out without an extension). Whether it is a good one is checkCacheFile's job.
 */
/** Whether a non-empty regular file starts like an LMDB data file (its first meta page's magic). */
export function hasLmdbMagic(file: string): boolean {
  const b = Buffer.alloc(META.magic + 4);
  const fd = fs.openSync(file, 'r');
  try {
    return fs.readSync(fd, b, 0, b.length, 0) === b.length && b.readUInt32LE(META.magic) === LMDB_MAGIC;
  } finally {
    fs.closeSync(fd);
  }
}

export function isCachePath(p: string): boolean {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  return !!st && (st.isDirectory() ? fs.existsSync(path.join(p, 'data.mdb')) : true);
}

/** Identity of a dataset's sample list, cheap even for 3.1M images (size, classes, sampled paths). */
export function datasetFingerprint(ds: Dataset): string {
  const parts = [
    String(ds.size),
    String(ds.classes.length),
    ds.classes.slice(0, 3).join(','),
    ds.classes.slice(-3).join(','),
  ];
  const step = Math.max(1, Math.floor(ds.size / 64));
  for (let i = 0; i < ds.size; i += step) parts.push(`${ds.relPath(i)}:${ds.labels[i]}`);
  return createHash('sha1').update(parts.join('\n')).digest('hex');
}

function settingsText(s: CacheSettings): string {
  return `crop=${s.crop} size=${s.size} box-extend=${s.boxExtend} ${s.encoding === 'raw' ? 'raw' : `jpeg q${s.quality}`} resize=${s.resize ?? 'sharp'}`;
}

async function encode(base: BaseImage, s: CacheSettings): Promise<Buffer> {
  const head = Buffer.alloc(HEADER);
  head[0] = s.encoding === 'raw' ? RAW : JPEG;
  head[1] = 3;
  head.writeUInt16LE(base.width, 2);
  head.writeUInt16LE(base.height, 4);
  const body =
    s.encoding === 'raw'
      ? base.data
      : await sharp(base.data, { raw: { width: base.width, height: base.height, channels: 3 } })
          .jpeg({ quality: s.quality, chromaSubsampling: '4:4:4' })
          .toBuffer();
  return Buffer.concat([head, body]);
}

/** A stored record: its pixels as raw uint8 RGB or a JPEG, and the image's size. */
export interface CacheRecord {
  encoding: CacheEncoding;
  width: number;
  height: number;
  body: Buffer;
}

/** A record's header and size checked (what is wrong, or undefined): the native decoder trusts them. */
function recordProblem(rec: Buffer): string | undefined {
  if (rec.length < HEADER) return `${rec.length}-byte record, shorter than its ${HEADER}-byte header`;
  if (rec[0] !== RAW && rec[0] !== JPEG) return `unknown record format ${rec[0]}`;
  if (rec[1] !== 3) return `${rec[1]} channels, expected 3`;
  const w = rec.readUInt16LE(2);
  const h = rec.readUInt16LE(4);
  if (w === 0 || h === 0) return `empty image (${w}×${h})`;
  if (rec[0] === RAW && rec.length - HEADER !== w * h * 3)
    return `raw ${w}×${h} image needs ${w * h * 3} bytes, the record holds ${rec.length - HEADER}`;
  if (rec[0] === JPEG && (rec.length < HEADER + 4 || rec[HEADER] !== 0xff || rec[HEADER + 1] !== 0xd8))
    return 'JPEG record without a JPEG start marker';
  return undefined;
}

function parseRecord(rec: Buffer): CacheRecord {
  return {
    encoding: rec[0] === RAW ? 'raw' : 'jpeg',
    width: rec.readUInt16LE(2),
    height: rec.readUInt16LE(4),
    body: rec.subarray(HEADER),
  };
}

/** Decodes a record; throws a plain Error saying what is wrong (the caller names the record). */
async function decode(r: CacheRecord, failOn?: 'truncated'): Promise<BaseImage> {
  const { width, height } = r;
  if (r.encoding === 'raw') return { data: r.body, width, height };
  const { data, info } = await sharp(r.body, failOn ? { failOn } : {})
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3)
    throw new Error(`JPEG is ${info.width}×${info.height}×${info.channels}, its header says ${width}×${height}×3`);
  return { data, width, height };
}

/** The folder a dataset's relPaths are relative to (the images root; VGGFace2: `<root>/<split>`). */
function imagesRoot(ds: Dataset, fallback: string): string {
  for (let i = 0; i < Math.min(ds.size, 16); i++) {
    const full = ds.source(i).path;
    const rel = path.normalize(ds.relPath(i));
    if (full.endsWith(path.sep + rel)) return full.slice(0, full.length - rel.length - 1);
  }
  return fallback;
}

export interface PrepareOptions {
  dataset: Dataset;
  /** Path of the dataset as given (recorded in the cache). */
  dataPath: string;
  out: string;
  crop: FaceOptions['crop'];
  size: number;
  boxExtend?: number;
  encoding?: CacheEncoding;
  quality?: number;
  /** Samples decoded at once (default 8). */
  concurrency?: number;
  /**
   * 'native': JPEG sources resized by the addon, as the loader's default decoder does live (so a
   * raw cache gives exactly its pixels); 'sharp': everything by sharp. Default: native when the
   * addon has TurboJPEG.
   */
  decoder?: 'native' | 'sharp';
  issues?: Issues;
  progress?: (done: number, total: number) => void;
  /** Stop early (e.g. SIGINT); the next run resumes. */
  signal?: AbortSignal;
}

export interface PrepareResult {
  total: number;
  /** Records written by this run. */
  written: number;
  /** Already present from an interrupted run. */
  resumed: number;
  /** Unusable samples (recorded, skipped when reading). */
  bad: number;
  complete: boolean;
}

/**
 * Build (or resume) a cache. Refuses an existing cache made with other settings or from another
 * dataset. Each record and its index entry are written in one transaction, so an interrupted
 * run leaves no half-written sample.
 */
export async function prepareCache(o: PrepareOptions): Promise<PrepareResult> {
  const ds = o.dataset;
  const issues = o.issues ?? new Issues();
  const binding = o.decoder === 'sharp' ? undefined : nativeDecoder();
  if (o.decoder === 'native' && !binding)
    throw new Error(
      `decoder 'native': the addon is not built with TurboJPEG (apt-get install libturbojpeg0-dev, then npm run build:native)`,
    );
  const settings: CacheSettings = {
    crop: o.crop,
    size: o.size,
    boxExtend: o.boxExtend ?? 0.3,
    encoding: o.encoding ?? 'jpeg',
    quality: o.quality ?? 95,
    resize: binding ? 'native' : 'sharp',
  };
  const source = {
    data: path.resolve(o.dataPath),
    description: ds.description,
    size: ds.size,
    fingerprint: datasetFingerprint(ds),
    images: imagesRoot(ds, path.resolve(o.dataPath)),
  };
  refuseForeignLmdb(o.out);
  const { env, images, info } = openEnv(o.out, false);
  try {
    const old = readMeta(info, o.out);
    if (!old && (info.getCount() > 0 || images.getCount() > 0)) throw new Error(foreignLmdb(o.out));
    if (old) {
      if (old.version !== CACHE_FORMAT_VERSION)
        throw new Error(
          `${o.out}: cache format version ${old.version}, this version writes ${CACHE_FORMAT_VERSION}; delete it or use another --out`,
        );
      if (settingsText(old.settings) !== settingsText(settings))
        throw new Error(
          `${o.out} was made with ${settingsText(old.settings)}, not ${settingsText(settings)}; refusing to mix them (delete it or use another --out)`,
        );
      if (old.source.fingerprint !== source.fingerprint)
        throw new Error(
          `${o.out} was made from another dataset (${old.source.description}); refusing to mix them (delete it or use another --out)`,
        );
    }
    const meta: CacheMeta = old ?? {
      version: CACHE_FORMAT_VERSION,
      settings,
      source,
      classes: [...ds.classes],
      complete: false,
    };
    if (!old) await info.put('meta', meta);
    const face: FaceOptions = { crop: settings.crop, size: settings.size, boxExtend: settings.boxExtend };
    let next = 0;
    let done = 0;
    let written = 0;
    let resumed = 0;
    let bad = 0;
    const worker = async () => {
      while (next < ds.size && !o.signal?.aborted) {
        const i = next++;
        if (info.doesExist(i)) {
          resumed++;
        } else {
          let rec: Buffer | undefined;
          let kind = '';
          try {
            const src = ds.source(i);
            rec = await encode(
              await (binding ? loadBaseNative(binding, src, face, issues) : loadBase(src, face, issues)),
              settings,
            );
          } catch (e) {
            if (!(e instanceof DataError)) throw e;
            issues.add(e.kind, e.detail);
            kind = e.kind;
          }
          await env.transaction(() => {
            if (rec) images.put(i, rec);
            info.put(i, rec ? [ds.labels[i], ds.relPath(i)] : [-1, ds.relPath(i), kind]);
          });
          if (rec) written++;
          else bad++;
        }
        o.progress?.(++done, ds.size);
      }
    };
    await Promise.all(Array.from({ length: o.concurrency ?? 8 }, worker));
    const complete = !o.signal?.aborted;
    if (complete && !meta.complete) {
      // Compact index of the usable records, so that opening a 3M-image cache reads 2 buffers.
      const idx: number[] = [];
      const labels: number[] = [];
      for (const { key, value } of info.getRange({ start: 0, end: ds.size })) {
        const [label] = value as [number];
        if (label >= 0) {
          idx.push(key as number);
          labels.push(label);
        }
      }
      await info.put('index', Buffer.from(Int32Array.from(idx).buffer));
      await info.put('labels', Buffer.from(Int32Array.from(labels).buffer));
      await info.put('meta', { ...meta, complete: true });
    }
    return { total: ds.size, written, resumed, bad, complete };
  } finally {
    await env.close();
  }
}

/**
 * The cache's metadata, undefined when there is none (a new or foreign LMDB); a one-line Error
 * naming the file when it is undecodable or not shaped as prepare writes it.
 */
function readMeta(info: Database<unknown, number | string>, file: string): CacheMeta | undefined {
  let meta: unknown;
  try {
    meta = info.get('meta');
  } catch (e) {
    throw new Error(`${file}: damaged cache metadata (${(e as Error).message}); delete it and run prepare again`, {
      cause: e,
    });
  }
  if (meta === undefined) return undefined;
  const m = meta as Partial<CacheMeta>;
  const ok =
    typeof m === 'object' &&
    m !== null &&
    typeof m.version === 'number' &&
    (m.version !== CACHE_FORMAT_VERSION ||
      (typeof m.settings === 'object' &&
        m.settings !== null &&
        typeof m.source === 'object' &&
        m.source !== null &&
        typeof m.source.description === 'string' &&
        typeof m.source.data === 'string' &&
        Array.isArray(m.classes) &&
        m.classes.every((c) => typeof c === 'string')));
  if (!ok)
    throw new Error(`${file}: damaged cache metadata (not as prepare writes it); delete it and run prepare again`);
  return m as CacheMeta;
}

const foreignLmdb = (file: string) =>
  `${file}: an LMDB file that is not a vgg2-torch cache (no metadata); refusing to write into it (choose another --out)`;

/** Another program's LMDB (other keys in its main DB) is refused before prepare opens it for writing. */
function refuseForeignLmdb(file: string): void {
  const loc = checkCacheFile(file, 'write');
  if (!loc.exists) return;
  const probe = open({ path: file, noSubdir: !loc.subdir, maxDbs: 4, readOnly: true });
  try {
    if ([...probe.getKeys({ limit: 8 })].some((k) => k !== 'images' && k !== 'info'))
      throw new Error(foreignLmdb(file));
  } finally {
    void probe.close();
  }
}

function int32s(b: unknown): Int32Array {
  const buf = b as Buffer;
  return new Int32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** A finished cache, read as a Dataset whose images come from the records. */
export class CacheDataset implements Dataset {
  readonly kind = 'cache';
  readonly description: string;
  readonly classes: readonly string[];
  readonly labels: Int32Array;
  readonly size: number;
  readonly meta: CacheMeta;
  /** Record key (= source dataset index) of each sample. */
  readonly keys: Int32Array;
  private readonly db: ReturnType<typeof openEnv>;

  /** The folder the records' relPaths are relative to (where check-data looks for the sources). */
  readonly imagesRoot: string;
  private readonly issues: Issues;

  /** `issues` counts records with an out-of-range label (dropped) and, when reading, corrupt ones. */
  constructor(
    readonly file: string,
    issues?: Issues,
  ) {
    this.issues = issues ?? new Issues();
    this.db = openEnv(file, true);
    let meta: CacheMeta | undefined;
    let index: unknown;
    let labels: unknown;
    try {
      meta = readMeta(this.db.info, file);
      index = this.db.info.get('index');
      labels = this.db.info.get('labels');
    } catch (e) {
      void this.db.env.close();
      throw e;
    }
    const problem = !meta
      ? `${file}: not a vgg2-torch cache (no metadata)`
      : meta.version !== CACHE_FORMAT_VERSION
        ? `${file}: cache format version ${meta.version}, expected ${CACHE_FORMAT_VERSION}; run prepare again`
        : !meta.complete
          ? `${file}: incomplete cache (interrupted prepare); run prepare again to resume it`
          : !Buffer.isBuffer(index) ||
              !Buffer.isBuffer(labels) ||
              index.length !== labels.length ||
              index.length % 4 !== 0
            ? `${file}: damaged cache (its index of records is missing or inconsistent); delete it and run prepare again`
            : undefined;
    if (problem || !meta) {
      // Close now: a second LMDB handle on the same file in this process (prepare resuming) fails.
      void this.db.env.close();
      throw new Error(problem);
    }
    this.meta = meta;
    this.classes = meta.classes;
    this.imagesRoot = meta.source.images ?? /\(images (.+?)\): /.exec(meta.source.description)?.[1] ?? meta.source.data;
    let keys = int32s(index);
    let labs = int32s(labels);
    // A label outside the class list would index past the classifier: such records are skipped.
    const ok = labs.map((l, k) => (l >= 0 && l < this.classes.length && keys[k] >= 0 ? 1 : 0));
    if (!ok.every((x) => x === 1)) {
      try {
        ok.forEach((x, k) => {
          if (!x)
            this.issues.add(
              'bad-record',
              `${this.where(keys[k])}: label ${labs[k]} outside 0..${this.classes.length - 1}`,
            );
        });
      } catch (e) {
        void this.db.env.close();
        throw e;
      }
      keys = keys.filter((_, k) => ok[k]);
      labs = labs.filter((_, k) => ok[k]);
    }
    this.keys = keys;
    this.labels = labs;
    this.size = this.keys.length;
    this.description = `cache ${file} (${settingsText(meta.settings)}) of ${meta.source.description}: ${this.size} images, ${this.classes.length} identities`;
  }

  /** "FILE record KEY (source PATH)": how problems name a record. */
  private where(key: number): string {
    const entry = this.db.info.get(key) as [number, string] | undefined;
    const rel = Array.isArray(entry) && typeof entry[1] === 'string' ? entry[1] : undefined;
    return `${this.file} record ${key}${rel ? ` (source ${path.join(this.imagesRoot, rel)})` : ''}`;
  }

  relPath(i: number): string {
    const entry = this.db.info.get(this.keys[i]) as [number, string] | undefined;
    if (!Array.isArray(entry) || typeof entry[1] !== 'string')
      throw new DataError('bad-record', `${this.file} record ${this.keys[i]}: no source path in its index entry`);
    return entry[1];
  }

  source(i: number): SampleSource {
    return { path: path.join(this.imagesRoot, this.relPath(i)), label: this.labels[i] };
  }

  /** Refuse to serve images made with other crop settings than the caller asks for. */
  checkSettings(face: FaceOptions): void {
    const s = this.meta.settings;
    if (face.crop !== s.crop || face.size !== s.size || (face.boxExtend ?? 0.3) !== s.boxExtend)
      throw new Error(
        `${this.file} holds crop=${s.crop} size=${s.size} box-extend=${s.boxExtend} images, not crop=${face.crop} size=${face.size} box-extend=${face.boxExtend ?? 0.3}; prepare another cache`,
      );
  }

  /**
   * The stored record of sample i (synchronous: LMDB reads are memory-mapped), its header and size
   * checked; a DataError ('bad-record') naming the record and its source when unusable.
   */
  record(i: number): CacheRecord {
    const key = this.keys[i];
    const rec = this.db.images.get(key);
    const problem = !rec ? 'missing from the images table' : recordProblem(rec);
    if (problem || !rec) throw new DataError('bad-record', `${this.where(key)}: ${problem}`);
    return parseRecord(rec);
  }

  /** Stage-1 image of sample i; a corrupt JPEG is a DataError ('corrupt-image') naming the record. */
  async loadBase(i: number, failOn?: 'truncated'): Promise<BaseImage> {
    const rec = this.record(i);
    try {
      return await decode(rec, failOn);
    } catch (e) {
      throw new DataError('corrupt-image', `${this.where(this.keys[i])}: ${(e as Error).message}`);
    }
  }

  close(): Promise<void> {
    return this.db.env.close();
  }
}
