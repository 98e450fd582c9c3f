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
  /** Which resize made the stored JPEG images: the native decoder's (bilinear) or sharp's (lanczos3; caches made before it existed). */
  resize?: 'native' | 'sharp';
}

export interface CacheMeta {
  version: number;
  settings: CacheSettings;
  /** Where the images came from, and the dataset's identity (to refuse mixing sources). */
  source: { data: string; description: string; size: number; fingerprint: string };
  classes: string[];
  complete: boolean;
}

const RAW = 1;
const JPEG = 2;
const HEADER = 6; // format u8, channels u8, width u16, height u16

function openEnv(
  file: string,
  readOnly: boolean,
): { env: RootDatabase; images: Database<Buffer, number>; info: Database<unknown, number | string> } {
  const env = open({ path: file, maxDbs: 4, compression: false, readOnly });
  return {
    env,
    images: env.openDB<Buffer, number>({ name: 'images', encoding: 'binary', keyEncoding: 'uint32' }),
    info: env.openDB<unknown, number | string>({ name: 'info' }),
  };
}

/** True for an LMDB file (by its meta-page magic 0xBEEFC0DE), as `prepare` writes. */
export function isCachePath(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    const fd = fs.openSync(p, 'r');
    const head = Buffer.alloc(64);
    fs.readSync(fd, head, 0, 64, 0);
    fs.closeSync(fd);
    return head.includes(Buffer.from([0xde, 0xc0, 0xef, 0xbe]));
  } catch {
    return false;
  }
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

function parseRecord(rec: Buffer): CacheRecord {
  return {
    encoding: rec[0] === RAW ? 'raw' : 'jpeg',
    width: rec.readUInt16LE(2),
    height: rec.readUInt16LE(4),
    body: rec.subarray(HEADER),
  };
}

async function decode(r: CacheRecord): Promise<BaseImage> {
  const { width, height } = r;
  if (r.encoding === 'raw') return { data: r.body, width, height };
  const { data, info } = await sharp(r.body).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== 3)
    throw new Error('cache record: JPEG does not match its header');
  return { data, width, height };
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
  };
  const { env, images, info } = openEnv(o.out, false);
  try {
    const old = info.get('meta') as CacheMeta | undefined;
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

  constructor(readonly file: string) {
    this.db = openEnv(file, true);
    const meta = this.db.info.get('meta') as CacheMeta | undefined;
    const problem = !meta
      ? `${file}: not a vgg2-torch cache (no metadata)`
      : meta.version !== CACHE_FORMAT_VERSION
        ? `${file}: cache format version ${meta.version}, expected ${CACHE_FORMAT_VERSION}; run prepare again`
        : !meta.complete
          ? `${file}: incomplete cache (interrupted prepare); run prepare again to resume it`
          : undefined;
    if (problem || !meta) {
      // Close now: a second LMDB handle on the same file in this process (prepare resuming) fails.
      void this.db.env.close();
      throw new Error(problem);
    }
    this.meta = meta;
    this.classes = meta.classes;
    this.keys = int32s(this.db.info.get('index'));
    this.labels = int32s(this.db.info.get('labels'));
    this.size = this.keys.length;
    this.description = `cache ${file} (${settingsText(meta.settings)}) of ${meta.source.description}: ${this.size} images, ${this.classes.length} identities`;
  }

  relPath(i: number): string {
    return (this.db.info.get(this.keys[i]) as [number, string])[1];
  }

  source(i: number): SampleSource {
    return { path: path.join(this.meta.source.data, this.relPath(i)), label: this.labels[i] };
  }

  /** Refuse to serve images made with other crop settings than the caller asks for. */
  checkSettings(face: FaceOptions): void {
    const s = this.meta.settings;
    if (face.crop !== s.crop || face.size !== s.size || (face.boxExtend ?? 0.3) !== s.boxExtend)
      throw new Error(
        `${this.file} holds crop=${s.crop} size=${s.size} box-extend=${s.boxExtend} images, not crop=${face.crop} size=${face.size} box-extend=${face.boxExtend ?? 0.3}; prepare another cache`,
      );
  }

  /** The stored record of sample i (synchronous: LMDB reads are memory-mapped). */
  record(i: number): CacheRecord {
    const rec = this.db.images.get(this.keys[i]);
    if (!rec) throw new DataError('missing-file', `${this.file}: record ${this.keys[i]} missing`);
    return parseRecord(rec);
  }

  async loadBase(i: number): Promise<BaseImage> {
    return decode(this.record(i));
  }

  close(): Promise<void> {
    return this.db.env.close();
  }
}
