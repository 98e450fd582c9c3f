/** Bad-input bookkeeping: skip and count per kind (one warning each), or fail fast when strict. */

export type IssueKind =
  | 'missing-file'
  | 'empty-file'
  | 'not-image'
  | 'corrupt-image'
  | 'box-outside'
  | 'box-partly-outside'
  | 'bad-landmarks'
  | 'malformed-line'
  | 'unknown-identity'
  | 'outside-root'
  | 'duplicate'
  | 'md5-mismatch'
  | 'bad-record'
  | 'special-file'
  | 'bad-file-name'
  | 'no-face';

const DESCRIPTIONS: Record<IssueKind, string> = {
  'missing-file': 'listed file missing',
  'empty-file': 'zero-byte file',
  'not-image': 'not an image (unknown magic bytes)',
  'corrupt-image': 'corrupt or truncated image',
  'box-outside': 'face box empty or wholly outside the image (sample skipped)',
  'box-partly-outside': 'face box partly outside the image (clamped)',
  'bad-landmarks': 'NaN or degenerate landmarks (ignored)',
  'malformed-line': 'malformed CSV/list line',
  'unknown-identity': 'identity not in the metadata',
  'outside-root': 'list path resolves outside the dataset root',
  duplicate: 'duplicate entry',
  'md5-mismatch': 'MD5 mismatch',
  'bad-record': 'unusable cache record (bad header, size or label; skipped)',
  'special-file': 'not a regular file, or too large for an image',
  'bad-file-name': 'file or folder name is not valid UTF-8 (skipped: rename it, e.g. with convmv)',
  'no-face': 'no face found (skipped; --if-no-face center uses the centre of the image instead)',
};

/** An unusable sample or line; the message starts with what kind of problem it is. */
export class DataError extends Error {
  constructor(
    readonly kind: IssueKind,
    readonly detail: string,
  ) {
    super(`${DESCRIPTIONS[kind]}: ${detail}`);
    this.name = 'DataError';
  }
}

export interface IssueOptions {
  /** Throw a DataError on the first problem instead of skipping. */
  strict?: boolean;
  /** Where warnings go; default stderr. */
  warn?: (message: string) => void;
  /** How many examples to keep per kind for the summary. */
  examples?: number;
}

export class Issues {
  readonly strict: boolean;
  private readonly warn: (message: string) => void;
  private readonly maxExamples: number;
  private readonly counts = new Map<IssueKind, number>();
  private readonly examples = new Map<IssueKind, string[]>();

  constructor(opts: IssueOptions = {}) {
    this.strict = opts.strict ?? false;
    this.warn = opts.warn ?? ((m) => process.stderr.write(`warning: ${m}\n`));
    this.maxExamples = opts.examples ?? 3;
  }

  /** Record a problem; warns on the first of each kind; throws when strict. */
  add(kind: IssueKind, detail: string): void {
    if (this.strict) throw new DataError(kind, detail);
    const n = (this.counts.get(kind) ?? 0) + 1;
    this.counts.set(kind, n);
    const ex = this.examples.get(kind) ?? [];
    if (ex.length < this.maxExamples) ex.push(detail);
    this.examples.set(kind, ex);
    if (n === 1) this.warn(`${DESCRIPTIONS[kind]}: ${detail} (further ones counted, not shown)`);
  }

  count(kind?: IssueKind): number {
    if (kind) return this.counts.get(kind) ?? 0;
    let t = 0;
    for (const n of this.counts.values()) t += n;
    return t;
  }

  get kinds(): IssueKind[] {
    return [...this.counts.keys()];
  }

  examplesOf(kind: IssueKind): readonly string[] {
    return this.examples.get(kind) ?? [];
  }

  /** Multi-line summary, empty when nothing went wrong. */
  summary(): string {
    return [...this.counts]
      .map(([k, n]) => `${n} × ${DESCRIPTIONS[k]} (e.g. ${this.examplesOf(k).join('; ')})`)
      .join('\n');
  }
}
