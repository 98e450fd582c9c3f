/** The flags shared by the commands that compute embeddings (embed, eval). */
import type { Argv } from 'yargs';
import type { CropMode } from '../../lib/data/types';
import type { EmbeddingOutput } from '../../lib/eval/embed';
import type { NoFace } from '../../lib/detect/detected-dataset';
import { inputSizeOption, strictOption, type InputSizeArgs, type StrictArgs } from './common-flags';

/** The parsed values of embeddingOptions(). */
export interface EmbeddingArgs extends InputSizeArgs, StrictArgs {
  crop: CropMode | 'detect';
  'if-no-face': NoFace;
  'all-faces': boolean;
  batch: number;
  flip: boolean;
  output?: EmbeddingOutput;
  device: string;
}

export function embeddingOptions<T>(y: Argv<T>) {
  return strictOption(inputSizeOption(y, 'Input height and width (px)', "the model's"))
    .option('crop', {
      choices: ['loose', 'align', 'none', 'detect'] as const,
      default: 'loose' as const,
      describe: 'Face crop; detect: find the face in raw photos (dlib) and align it',
    })
    .option('if-no-face', {
      choices: ['skip', 'center'] as const,
      default: 'skip' as const,
      describe: 'With --crop detect, a photo without a face: skipped and counted, or used whole',
    })
    .option('all-faces', {
      type: 'boolean',
      default: false,
      describe: 'With --crop detect, every face of a photo instead of the largest',
    })
    .option('batch', { type: 'number', default: 32, describe: 'Batch size' })
    .option('flip', { type: 'boolean', default: false, describe: 'Flip test-time augmentation (original + mirrored)' })
    .option('output', {
      choices: ['features', 'embedding'] as const,
      describe: 'Pooled features or the embedding layer (default: embedding when present)',
    })
    .option('device', { type: 'string', default: 'cpu', describe: 'cpu, cuda, cuda:N or auto' });
}
