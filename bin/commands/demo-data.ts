import type { CommandModule } from 'yargs';
import { writeDemoDataset } from '../../lib/data/demo';

interface Args {
  out: string;
  identities: number;
  images: number;
  size: number;
  seed: number;
}

const cmd: CommandModule<object, Args> = {
  command: 'demo-data',
  describe: 'Write a small synthetic face dataset in VGGFace2 layout (lists, boxes, landmarks, templates)',
  builder: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'Output folder (created)' })
      .option('identities', {
        type: 'number',
        default: 20,
        describe: 'Number of identities (about 1/5 become test identities, Flag 0)',
      })
      .option('images', { type: 'number', default: 30, describe: 'Images per identity' })
      .option('size', { type: 'number', default: 112, describe: 'Image side in pixels' })
      .option('seed', { type: 'number', default: 0, describe: 'Random seed (same seed, same dataset)' })
      .strict(),
  handler: async (argv) => {
    const t0 = Date.now();
    const r = await writeDemoDataset({
      out: argv.out,
      identities: argv.identities,
      images: argv.images,
      size: argv.size,
      seed: argv.seed,
    });
    process.stderr.write(
      `demo-data: ${r.images} images, ${r.trainIdentities} train + ${r.testIdentities} test identities in ${r.root} (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
  },
};

export default cmd;
