import * as fs from 'fs';
import * as path from 'path';
import type { CommandModule } from 'yargs';
import { prepareCache } from '../../lib/data/cache';
import { FOLDER_BOXES, FOLDER_LANDMARKS, openDataset } from '../../lib/data/dataset';
import { writeDetectionCsvs } from '../../lib/detect/annotation-csv';
import { detectDataset } from '../../lib/detect/detected-dataset';
import { Issues } from '../../lib/data/issues';
import type { CropMode } from '../../lib/data/types';
import { inputSize, inputSizeOption, strictOption, type InputSizeArgs, type StrictArgs } from './common-flags';
import { progressWriter } from './progress-writer';

interface Args extends InputSizeArgs, StrictArgs {
  data: string;
  images?: string;
  split: 'train' | 'test';
  out: string;
  crop: CropMode;
  'box-extend': number;
  quality: number;
  raw: boolean;
  concurrency: number;
  decoder?: 'native' | 'sharp';
  detect: boolean;
}

/**
 * `--detect`: the largest face of every photo of an image folder, written as the folder's own
 * boxes.csv and landmarks.csv (VGGFace2's columns), which every command then reads like official
 * metadata — detection runs once per dataset.
 */
async function detectInto(data: string, issues: Issues): Promise<void> {
  const boxes = path.join(data, FOLDER_BOXES);
  const landmarks = path.join(data, FOLDER_LANDMARKS);
  for (const f of [boxes, landmarks])
    if (fs.existsSync(f)) throw new Error(`${f} exists: this folder has its faces already (remove it to detect again)`);
  const dataset = openDataset({ data, issues });
  if (dataset.kind !== 'folder')
    throw new Error(`--detect is for an image folder of raw photos; ${data} is a ${dataset.kind}`);
  const t0 = Date.now();
  const shown = progressWriter();
  const faces = await detectDataset(dataset, {
    issues,
    onProgress: (done) => shown.update(`prepare: detecting faces ${done}/${dataset.size}`, done === dataset.size),
  });
  shown.end();
  const n = writeDetectionCsvs(faces, boxes, landmarks);
  process.stderr.write(
    `prepare: faces in ${n} of ${dataset.size} photos (${((Date.now() - t0) / 1000).toFixed(0)} s) → ${boxes}, ${landmarks}\n`,
  );
}

const cmd: CommandModule<object, Args> = {
  command: 'prepare',
  describe: 'Decode, crop/align and resize every image once into an LMDB cache (resumable)',
  builder: (y) =>
    strictOption(
      inputSizeOption(y, 'Network input size (stored images: short side size·256/224, or size² aligned)', '224'),
    )
      .option('data', { type: 'string', demandOption: true, describe: 'VGGFace2 root or image folder' })
      .option('images', {
        type: 'string',
        describe: "VGGFace2: folder of the split's identity folders (default <data>/<split>)",
        default: undefined,
      })
      .option('split', { choices: ['train', 'test'] as const, default: 'train' as const, describe: 'VGGFace2 split' })
      .option('out', { type: 'string', demandOption: true, describe: 'Cache file to write (LMDB)' })
      .option('crop', {
        choices: ['loose', 'align', 'none'] as const,
        default: 'loose' as const,
        describe: 'loose box ×1.3, 5-point alignment, or whole image',
      })
      .option('box-extend', { type: 'number', default: 0.3, describe: 'Loose-box enlargement (w, h × (1 + e))' })
      .option('quality', { type: 'number', default: 95, describe: 'JPEG quality of stored images' })
      .option('raw', {
        type: 'boolean',
        default: false,
        describe: 'Store raw uint8 RGB instead of JPEG (bigger, exact, faster to read)',
      })
      .option('concurrency', { type: 'number', default: 8, describe: 'Images decoded at once' })
      .option('decoder', {
        choices: ['native', 'sharp'] as const,
        describe: 'JPEG resize: native (as the loader, default when built with TurboJPEG) or sharp',
      })
      .option('detect', {
        type: 'boolean',
        default: false,
        describe: `Image folder of raw photos: detect each face first (dlib) and write ${FOLDER_BOXES} / ${FOLDER_LANDMARKS} into it`,
      })
      .strict(),
  handler: async (argv) => {
    const issues = new Issues({ strict: argv.strict });
    if (argv.detect) await detectInto(argv.data, issues);
    const dataset = openDataset({ data: argv.data, images: argv.images, split: argv.split, issues });
    process.stderr.write(`prepare: ${dataset.description}\n`);
    const stop = new AbortController();
    const onSigint = () => {
      process.stderr.write('\nprepare: interrupted; finishing images in flight (run again to resume)\n');
      stop.abort();
    };
    process.once('SIGINT', onSigint);
    const t0 = Date.now();
    const shown = progressWriter();
    try {
      const r = await prepareCache({
        dataset,
        dataPath: argv.data,
        out: argv.out,
        crop: argv.crop,
        size: inputSize(argv, 224),
        boxExtend: argv['box-extend'],
        encoding: argv.raw ? 'raw' : 'jpeg',
        quality: argv.quality,
        concurrency: argv.concurrency,
        decoder: argv.decoder,
        issues,
        signal: stop.signal,
        progress: (done, total) => {
          const rate = done / Math.max(1e-3, (Date.now() - t0) / 1000);
          const pct = ((100 * done) / total).toFixed(1);
          shown.update(`prepare: ${done}/${total} (${pct}%) ${rate.toFixed(0)} img/s`, done === total);
        },
      });
      shown.end();
      process.stderr.write(
        `prepare: ${r.written} written, ${r.resumed} already there, ${r.bad} unusable; ${r.complete ? 'complete' : 'incomplete (run again to resume)'}\n`,
      );
      if (issues.count()) process.stderr.write(`prepare: problems:\n${issues.summary()}\n`);
    } finally {
      process.off('SIGINT', onSigint);
    }
  },
};

export default cmd;
