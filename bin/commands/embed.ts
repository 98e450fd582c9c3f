/** `vgg2-torch embed`: L2-normalised embeddings of a dataset or a list of images → .npy, .safetensors or .jsonl. */
import * as path from 'path';
import type { CommandModule } from 'yargs';
import { openDataset } from '../../lib/data/dataset';
import { Issues } from '../../lib/data/issues';
import type { Dataset } from '../../lib/data/types';
import { embedDataset, withWeights } from '../../lib/eval/embed';
import { checkOutputFile } from '../../lib/io/output-path';
import { ImageListDataset } from '../../lib/eval/image-list';
import { loadForEval } from '../../lib/eval/load-model';
import { writeEmbeddings } from '../../lib/eval/write-embeddings';
import type { Arch } from '../../lib/model';
import { inputSize } from './common-flags';
import { embeddingOptions, type EmbeddingArgs } from './embedding-options';
import { readTextFile } from '../../lib/io/input-file';
import { ARCHS } from '../../lib/archs';

interface Args extends EmbeddingArgs {
  weights: string;
  arch?: Arch;
  data?: string;
  images?: string;
  split: 'train' | 'test';
  out: string;
}

/** One image path per line (relative to the list's folder); blank lines and # comments skipped. */
function readImageList(file: string): string[] {
  const out = readTextFile(file, 'image list')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => path.resolve(path.dirname(file), l));
  if (!out.length) throw new Error(`${file}: no image paths`);
  return out;
}

const cmd: CommandModule<object, Args> = {
  command: 'embed',
  describe: 'Write L2-normalised embeddings of a dataset (--data) or an image list (--images)',
  builder: (y) =>
    embeddingOptions(y)
      .option('weights', { type: 'string', demandOption: true, describe: 'Weights file' })
      .option('arch', {
        choices: ARCHS,
        describe: 'Architecture, for files without metadata',
      })
      .option('data', { type: 'string', describe: 'VGGFace2 root, image folder or cache' })
      .option('images', { type: 'string', describe: 'A text file listing image paths, one per line' })
      .option('split', { choices: ['train', 'test'] as const, default: 'test' as const, describe: 'VGGFace2 split' })
      .option('out', {
        type: 'string',
        demandOption: true,
        describe: 'Output: .npy (matrix), .safetensors (matrix, labels, paths) or .jsonl (path, label, embedding)',
      })
      .check((a) => {
        if (!a.data === !a.images) throw new Error('give exactly one of --data and --images');
        if (!/\.(npy|safetensors|jsonl)$/.test(a.out))
          throw new Error('--out must end in .npy, .safetensors or .jsonl');
        return true;
      })
      .strict(),
  handler: async (argv) => {
    checkOutputFile(argv.out, '--out', 'embeddings.npy');
    const issues = new Issues({ strict: argv.strict });
    const ds: Dataset = argv.images
      ? new ImageListDataset(readImageList(argv.images), argv.images)
      : openDataset({ data: argv.data!, split: argv.split, issues });
    const { model } = await loadForEval(argv.weights, {
      arch: argv.arch,
      device: argv.device,
      inputSize: inputSize(argv),
    });
    try {
      const e = await withWeights(argv.weights, () =>
        embedDataset(model, ds, {
          size: inputSize(argv),
          crop: argv.crop,
          noFace: argv['if-no-face'],
          allFaces: argv['all-faces'],
          batchSize: argv.batch,
          flip: argv.flip,
          output: argv.output,
          issues,
        }),
      );
      const paths = Array.from(e.indices, (i) => ds.relPath(i));
      writeEmbeddings(argv.out, e, paths);
      if (issues.count()) console.error(issues.summary());
      console.error(`embed: ${e.indices.length} of ${ds.size} images × ${e.dim} → ${argv.out}`);
    } finally {
      model.dispose();
    }
  },
};

export default cmd;
