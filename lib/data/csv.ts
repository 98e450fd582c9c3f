/** Reading VGGFace2-style text metadata: plain or gzipped files, lines with numbers, quoted CSV fields. */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { Issues } from './issues';
import { checkInputFile, MAX_TEXT_BYTES } from '../io/input-file';

/** Read a whole text file, transparently gunzipping `.gz` (or gzip magic bytes); a UTF-8 BOM is dropped. */
export function readMaybeGz(file: string): Buffer {
  checkInputFile(file, 'text file', MAX_TEXT_BYTES);
  const raw = fs.readFileSync(file);
  return stripBom(raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? zlib.gunzipSync(raw) : raw);
}

/** Of `base` and `base.gz`, the one that exists, or undefined. */
export function findMaybeGz(base: string): string | undefined {
  for (const f of [base, `${base}.gz`]) if (fs.existsSync(f)) return f;
  return undefined;
}

/**
 * Byte ranges of the non-empty lines of a buffer (CR stripped), without making a string per
 * line: the 3.1M-line train list stays one buffer plus two offset arrays.
 */
export function lineRanges(buf: Buffer): {
  starts: Uint32Array;
  ends: Uint32Array;
  lineNos: Uint32Array;
  count: number;
} {
  // Upper bound on the number of lines: count newlines natively via indexOf.
  let n = 0;
  for (let p = buf.indexOf(10); p !== -1; p = buf.indexOf(10, p + 1)) n++;
  const cap = n + 1;
  const starts = new Uint32Array(cap);
  const ends = new Uint32Array(cap);
  const lineNos = new Uint32Array(cap);
  let count = 0;
  let pos = 0;
  let lineNo = 0;
  while (pos < buf.length) {
    lineNo++;
    let end = buf.indexOf(10, pos);
    const next = end === -1 ? buf.length : end + 1;
    if (end === -1) end = buf.length;
    let e = end;
    while (e > pos && (buf[e - 1] === 13 || buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
    if (e > pos) {
      starts[count] = pos;
      ends[count] = e;
      lineNos[count] = lineNo;
      count++;
    }
    pos = next;
  }
  return { starts, ends, lineNos, count };
}

/**
 * Split one CSV line. Fields are separated by ',' followed by optional blanks (identity_meta.csv
 * uses ', '); double-quoted fields may contain commas and doubled quotes. Returns undefined when
 * a quote is left open.
 */
export function splitCsvLine(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && (line[i] === ' ' || line[i] === '\t')) i++;
    let field = '';
    if (line[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        field += line[i++];
      }
      if (!closed) return undefined;
      while (i < n && line[i] !== ',') {
        if (line[i] !== ' ' && line[i] !== '\t') return undefined;
        i++;
      }
    } else {
      const j = line.indexOf(',', i);
      field = (j === -1 ? line.slice(i) : line.slice(i, j)).trimEnd();
      i = j === -1 ? n : j;
    }
    out.push(field);
    if (i >= n) return out;
    i++; // the comma
  }
}

/**
 * Visit each data row of a CSV file with a header line, without keeping rows in memory (the
 * train split's box file has 3.1M rows). A UTF-8 BOM is stripped. With `columns` as names, the
 * header must name them all (any order, case-insensitive, extra columns allowed) and `visit`
 * gets the fields in the order of `columns`: a file without a header or with other column names
 * is an error naming the file and line, not a silently lost or misread first row. With a number,
 * fields are taken by position (at least that many). Rows with too few fields or an open quote
 * are reported as 'malformed-line' naming file and line, then skipped. A file without any line
 * is an error. Returns the header and the number of rows visited.
 */
export function eachCsvRow(
  file: string,
  issues: Issues,
  columns: number | readonly string[],
  visit: (fields: string[], line: number) => void,
): { header: string[]; rows: number } {
  const buf = readMaybeGz(file);
  const { starts, ends, lineNos, count } = lineRanges(buf);
  if (count === 0) throw new Error(`${file}: empty CSV file (no header, no rows)${expectHeader(columns)}`);
  const header = splitCsvLine(buf.toString('utf8', starts[0], ends[0])) ?? [];
  const order = typeof columns === 'number' ? undefined : headerOrder(file, lineNos[0], header, columns);
  const minFields = order ? Math.max(...order) + 1 : (columns as number);
  let rows = 0;
  for (let k = 1; k < count; k++) {
    const text = buf.toString('utf8', starts[k], ends[k]);
    const fields = splitCsvLine(text);
    if (!fields || fields.length < minFields) {
      issues.add('malformed-line', `${file}:${lineNos[k]}: ${JSON.stringify(text.slice(0, 80))}`);
      continue;
    }
    rows++;
    visit(order ? order.map((j) => fields[j]) : fields, lineNos[k]);
  }
  return { header, rows };
}

function expectHeader(columns: number | readonly string[]): string {
  return typeof columns === 'number' ? '' : `; expected a header line ${columns.join(',')} and data rows`;
}

/** Index of each wanted column in the header, or an error naming file, line and what is missing. */
function headerOrder(file: string, line: number, header: string[], columns: readonly string[]): number[] {
  const norm = header.map((h) => h.trim().toLowerCase());
  const order = columns.map((c) => norm.indexOf(c.toLowerCase()));
  const missing = columns.filter((_, k) => order[k] < 0);
  if (missing.length === 0) return order;
  // A first line that holds numbers is a data row: the file has no header at all.
  const looksLikeData = header.some((h) => h.trim() !== '' && Number.isFinite(Number(h)));
  const what = looksLikeData
    ? `no header line (the first line is data: ${JSON.stringify(header.join(',').slice(0, 60))})`
    : `header lacks column(s) ${missing.join(', ')} (found ${header.join(',').slice(0, 80)})`;
  throw new Error(`${file}:${line}: ${what}; expected a header line ${columns.join(',')} (columns are read by name)`);
}

/** A buffer without its leading UTF-8 byte order mark (Excel writes one; it would glue onto the first name). */
export function stripBom(buf: Buffer): Buffer {
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf;
}

/** Parse a finite number field, or NaN. */
export function num(s: string): number {
  return s.trim() === '' ? NaN : Number(s);
}
