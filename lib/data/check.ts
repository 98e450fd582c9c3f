/**
 * `check-data`: MD5 sums of archives, every listed image present and decodable, boxes inside images;
 * for a cache, every record (header, size, decodable, label) and the source images when present.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { clampBox } from './boxes';
import { CacheDataset, isCachePath } from './cache';
import { openDataset } from './dataset';
import { DataError, Issues } from './issues';
import { readImageFile } from './transform';
import type { Dataset } from './types';
import { findVggFace2Files } from './vggface2';

export interface CheckOptions {
  data: string;
  images?: string;
  /** `md5sum`-format file (`HASH  NAME`); names relative to the sums file's folder. */
  md5?: string;
  concurrency?: number;
  issues: Issues;
  progress?: (done: number, total: number) => void;
}

export interface CheckReport {
  datasets: string[];
  checkedImages: number;
  checkedArchives: number;
  /** Cache records checked (0 for a dataset). */
  checkedRecords: number;
  /** Set when the cache's source images are not on this machine (only the records were checked). */
  sourceAbsent?: string;
}

async function md5File(file: string): Promise<string> {
  const h = createHash('md5');
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function checkSums(sums: string, issues: Issues): Promise<number> {
  let n = 0;
  const lines = fs.readFileSync(sums, 'utf8').split('\n');
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k].trim();
    if (!line) continue;
    const m = /^([0-9a-fA-F]{32})\s+\*?(.+)$/.exec(line);
    if (!m) {
      issues.add('malformed-line', `${sums}:${k + 1}`);
      continue;
    }
    const file = path.resolve(path.dirname(sums), m[2]);
    n++;
    if (!fs.existsSync(file)) issues.add('missing-file', file);
    else if ((await md5File(file)) !== m[1].toLowerCase()) issues.add('md5-mismatch', file);
  }
  return n;
}

/**
 * Runs `visit` on samples 0..n-1, `concurrency` at a time; a DataError (a bad sample or record) is
 * counted in the issues, anything else is a bug and thrown. Progress counts from `offset` of `total`.
 */
async function checkEach(
  n: number,
  o: CheckOptions,
  offset: number,
  total: number,
  visit: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      try {
        await visit(i);
      } catch (e) {
        if (!(e instanceof DataError)) throw e;
        o.issues.add(e.kind, e.detail);
      } finally {
        o.progress?.(offset + ++done, total);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 8 }, worker));
}

/** Decode every image fully (truncation shows only at the end) and compare its box to its size. */
function checkImages(ds: Dataset, o: CheckOptions, offset: number, total: number): Promise<void> {
  return checkEach(ds.size, o, offset, total, async (i) => {
    const s = ds.source(i);
    // Missing, empty, special (FIFO, device, too large) or not an image: a DataError, counted.
    const buf = await readImageFile(s.path);
    const { info } = await sharp(buf, { failOn: 'truncated' })
      .resize(16, 16, { fit: 'inside' })
      .raw()
      .toBuffer({ resolveWithObject: true })
      .catch((e: Error) => {
        o.issues.add('corrupt-image', `${s.path}: ${e.message}`);
        return { info: undefined };
      });
    if (info && s.box) {
      const m = await sharp(buf).metadata();
      const w = m.autoOrient?.width ?? m.width ?? 0;
      const h = m.autoOrient?.height ?? m.height ?? 0;
      const c = clampBox(s.box, w, h);
      if (!c.region) o.issues.add('box-outside', `${s.path}: ${JSON.stringify(s.box)} vs ${w}×${h}`);
      else if (!c.inside) o.issues.add('box-partly-outside', `${s.path}: ${JSON.stringify(s.box)} vs ${w}×${h}`);
    }
  });
}

/** Every record of a cache: header and size (record), the JPEG decoded in full (truncation shows at its end). */
function checkRecords(ds: CacheDataset, o: CheckOptions): Promise<void> {
  return checkEach(ds.size, o, 0, ds.size, async (i) => {
    await ds.loadBase(i, 'truncated');
  });
}

export async function checkData(o: CheckOptions): Promise<CheckReport> {
  const report: CheckReport = { datasets: [], checkedImages: 0, checkedArchives: 0, checkedRecords: 0 };
  if (o.md5) report.checkedArchives = await checkSums(o.md5, o.issues);
  if (isCachePath(o.data)) {
    const opened = new CacheDataset(o.data, o.issues);
    try {
      report.datasets.push(opened.description);
      await checkRecords(opened, o);
      report.checkedRecords = opened.size;
      // The sources, where the cache says they are (VGGFace2: <root>/<split>), when this machine has them.
      if (fs.existsSync(opened.imagesRoot)) {
        await checkImages(opened, o, 0, opened.size);
        report.checkedImages = opened.size;
      } else report.sourceAbsent = opened.imagesRoot;
    } finally {
      await opened.close();
    }
    return report;
  }
  const files = findVggFace2Files(o.data);
  const splits = files ? (['train', 'test'] as const).filter((s) => files.list[s]) : [undefined];
  const sets = splits.map((split) => openDataset({ data: o.data, images: o.images, split, issues: o.issues }));
  const total = sets.reduce((t, d) => t + d.size, 0);
  for (const ds of sets) {
    report.datasets.push(ds.description);
    await checkImages(ds, o, report.checkedImages, total);
    report.checkedImages += ds.size;
  }
  return report;
}
