/** `vgg2-torch search --gallery G --weights W IMG...`: the enrolled people nearest to each face. */
import type { CommandModule } from 'yargs';
import { Issues } from '../../lib/data/issues';
import { ImageListDataset } from '../../lib/eval/image-list';
import { emitJson, jsonOption, type JsonArgs } from './common-flags';
import { embeddingOptions } from './embedding-options';
import { embedForGallery, openWithModel, precisionOption, type GalleryArgs } from './gallery-options';

interface Args extends GalleryArgs, JsonArgs {
  images: string[];
  k: number;
  threshold?: number;
}

const cmd: CommandModule<object, Args> = {
  command: 'search <images..>',
  describe: 'Who is it? The top-k people of a gallery for each face image, or unknown below a threshold',
  builder: (y) =>
    precisionOption(jsonOption(embeddingOptions(y)))
      .positional('images', { type: 'string', array: true, demandOption: true, describe: 'Face images' })
      .option('gallery', { type: 'string', demandOption: true, describe: 'Gallery folder (see enroll)' })
      .option('weights', { type: 'string', demandOption: true, describe: 'The weights the gallery was made with' })
      .option('k', { type: 'number', default: 5, describe: 'People per image' })
      .option('threshold', {
        type: 'number',
        describe: "Unknown below this similarity (default: the weights' verify_threshold metadata, else none)",
      })
      .check((a) => {
        if (!Number.isInteger(a.k) || a.k < 1) throw new Error('--k: a positive integer');
        if (a.threshold !== undefined && !(a.threshold >= -1 && a.threshold <= 1))
          throw new Error('--threshold: a similarity in [-1, 1]');
        return true;
      })
      .strict(),
  handler: async (argv) => {
    const { model, gallery, metadata } = await openWithModel(argv, false);
    try {
      const stored = metadata.verify_threshold !== undefined ? Number(metadata.verify_threshold) : undefined;
      const threshold = argv.threshold ?? (Number.isFinite(stored) ? stored : undefined);
      const issues = new Issues({ strict: argv.strict });
      const ds = new ImageListDataset(argv.images, 'search');
      const { rows, indices } = await embedForGallery(model, ds, argv, issues);
      const found = await gallery.search(rows, { k: argv.k, threshold });
      const results = argv.images.map((image) => ({ image, hits: null as unknown, unknown: null as unknown }));
      indices.forEach((idx, r) => Object.assign(results[idx], found[r]));
      if (issues.count()) console.error(issues.summary());
      if (emitJson(argv, { threshold: threshold ?? null, results }) !== 'stdout') {
        for (const [i, r] of results.entries()) {
          const f = found[Array.from(indices).indexOf(i)];
          if (!f) console.log(`${r.image}: not usable (see above)`);
          else
            console.log(
              `${r.image}: ${f.unknown ? 'unknown; nearest ' : ''}` +
                f.hits.map((h) => `${h.id} ${h.score.toFixed(4)}`).join(', '),
            );
        }
        if (threshold === undefined)
          console.error('search: no --threshold (nor verify_threshold in the weights): nobody is called unknown');
      }
      await gallery.close();
    } finally {
      model.dispose();
    }
  },
};

export default cmd;
