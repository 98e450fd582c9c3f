/** `vgg2-torch verify --weights W a.jpg b.jpg`: cosine similarity of two faces and same / different at a threshold. */
import * as path from 'path';
import type { CommandModule } from 'yargs';
import { BOX_COLUMNS, boxProblem } from '../../lib/data/annotations';
import { eachCsvRow, num } from '../../lib/data/csv';
import { Issues } from '../../lib/data/issues';
import type { Box } from '../../lib/data/types';
import type { NoFace } from '../../lib/detect/detected-dataset';
import { embedDataset, withWeights, type EmbeddingOutput } from '../../lib/eval/embed';
import { checkInputFile, MAX_IMAGE_BYTES } from '../../lib/io/input-file';
import { ImageListDataset } from '../../lib/eval/image-list';
import { loadForEval } from '../../lib/eval/load-model';
import { dot } from '../../lib/eval/vectors';
import type { Arch } from '../../lib/model';
import { emitJson, inputSize, inputSizeOption, jsonOption, type InputSizeArgs, type JsonArgs } from './common-flags';
import { ARCHS } from '../../lib/archs';

interface Args extends InputSizeArgs, JsonArgs {
  weights: string;
  arch?: Arch;
  a: string;
  b: string;
  threshold?: number;
  boxes?: string;
  flip: boolean;
  output?: EmbeddingOutput;
  crop?: 'detect';
  'if-no-face': NoFace;
}

/** Boxes by image name without extension, from a VGGFace2-format CSV (columns NAME_ID,X,Y,W,H by header). */
function readBoxes(file: string): Map<string, Box> {
  const out = new Map<string, Box>();
  eachCsvRow(file, new Issues({ strict: true }), BOX_COLUMNS, (f, line) => {
    const v = f.slice(1, 5).map(num);
    const problem = boxProblem(v);
    if (problem) throw new Error(`${file}:${line}: ${problem}; expected NAME_ID,X,Y,W,H in pixels`);
    if (out.has(f[0])) throw new Error(`${file}:${line}: a second box for ${f[0]}`);
    out.set(f[0], { x: v[0], y: v[1], w: v[2], h: v[3] });
  });
  return out;
}

const cmd: CommandModule<object, Args> = {
  command: 'verify <a> <b>',
  describe: 'Are two face images the same person? Cosine similarity and a decision at a threshold',
  builder: (y) =>
    jsonOption(inputSizeOption(y, 'Input height and width (px)', "the model's"))
      .positional('a', { type: 'string', demandOption: true, describe: 'First image' })
      .positional('b', { type: 'string', demandOption: true, describe: 'Second image' })
      .option('weights', { type: 'string', demandOption: true, describe: 'Weights file' })
      .option('arch', {
        choices: ARCHS,
        describe: 'Architecture, for files without metadata',
      })
      .option('threshold', {
        type: 'number',
        describe: "Same when similarity ≥ this (default: the weights' verify_threshold metadata)",
      })
      .option('boxes', {
        type: 'string',
        describe: 'Face boxes, CSV NAME_ID,X,Y,W,H (NAME_ID = file name without extension); default: centre crop',
      })
      .option('crop', {
        choices: ['detect'] as const,
        describe: 'detect: find the face in each raw photo (dlib) and align it (default: --boxes, else the centre)',
      })
      .option('if-no-face', {
        choices: ['skip', 'center'] as const,
        default: 'skip' as const,
        describe: 'With --crop detect, a photo without a face: an error, or the centre of the photo',
      })
      .option('flip', { type: 'boolean', default: false, describe: 'Flip test-time augmentation' })
      .option('output', {
        choices: ['features', 'embedding'] as const,
        describe: 'Pooled features or the embedding layer',
      })
      .strict(),
  handler: async (argv) => {
    // Before anything is loaded: a directory, FIFO, device or 3 GB file is named as such.
    for (const f of [argv.a, argv.b]) checkInputFile(f, 'image', MAX_IMAGE_BYTES);
    const boxes = argv.boxes ? readBoxes(argv.boxes) : undefined;
    const files = [argv.a, argv.b];
    const faceBoxes = files.map((f) => boxes?.get(path.basename(f, path.extname(f))));
    if (boxes)
      faceBoxes.forEach((b, k) => {
        if (!b) throw new Error(`${argv.boxes}: no box for ${path.basename(files[k], path.extname(files[k]))}`);
      });
    const { model, metadata } = await loadForEval(argv.weights, { arch: argv.arch, inputSize: inputSize(argv) });
    try {
      const issues = new Issues({ strict: true });
      const e = await withWeights(argv.weights, () =>
        embedDataset(model, new ImageListDataset(files, 'verify', undefined, undefined, faceBoxes), {
          size: inputSize(argv),
          flip: argv.flip,
          output: argv.output,
          crop: argv.crop ?? (boxes ? 'loose' : 'none'),
          noFace: argv['if-no-face'],
          issues,
        }),
      );
      const similarity = dot(e.data, 0, e.data, 1, e.dim);
      const stored = metadata.verify_threshold !== undefined ? Number(metadata.verify_threshold) : undefined;
      if (stored !== undefined && !Number.isFinite(stored))
        throw new Error(`${argv.weights}: metadata verify_threshold '${metadata.verify_threshold}' is not a number`);
      const threshold = argv.threshold ?? stored;
      const same = threshold === undefined ? undefined : similarity >= threshold;
      const result = { a: argv.a, b: argv.b, similarity, threshold: threshold ?? null, same: same ?? null };
      const jsonAt = emitJson(argv, result, false);
      if (jsonAt !== 'stdout') {
        console.log(`cosine similarity ${similarity.toFixed(4)}`);
        if (same === undefined)
          console.log('no threshold given (--threshold) or stored with the weights (verify_threshold): no decision');
        else console.log(`${same ? 'same person' : 'different people'} (threshold ${threshold})`);
      }
    } finally {
      model.dispose();
    }
  },
};

export default cmd;
