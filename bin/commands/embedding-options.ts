/** The flags shared by the commands that compute embeddings (embed, eval). */
import type { Argv } from 'yargs';
import type { CropMode } from '../../lib/data/types';
import type { EmbeddingOutput } from '../../lib/eval/embed';
import { inputSizeOption, strictOption, type InputSizeArgs, type StrictArgs } from './common-flags';

/** The parsed values of embeddingOptions(). */
export interface EmbeddingArgs extends InputSizeArgs, StrictArgs {
  crop: CropMode;
  batch: number;
  flip: boolean;
  output?: EmbeddingOutput;
  device: string;
}

export function embeddingOptions<T>(y: Argv<T>) {
  return strictOption(inputSizeOption(y, 'Input height and width (px)', "the model's"))
    .option('crop', { choices: ['loose', 'align', 'none'] as const, default: 'loose' as const, describe: 'Face crop' })
    .option('batch', { type: 'number', default: 32, describe: 'Batch size' })
    .option('flip', { type: 'boolean', default: false, describe: 'Flip test-time augmentation (original + mirrored)' })
    .option('output', {
      choices: ['features', 'embedding'] as const,
      describe: 'Pooled features or the embedding layer (default: embedding when present)',
    })
    .option('device', { type: 'string', default: 'cpu', describe: 'cpu, cuda, cuda:N or auto' });
}
