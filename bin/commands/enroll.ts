/**
 * `vgg2-torch enroll --weights W --gallery G (--data DIR | IMG... --id NAME)`: add identities to a
 * gallery (one template per identity: the mean of its images' unit embeddings); `--remove NAME`
 * takes one out, `--list` shows who is enrolled.
 */
import * as fs from 'fs';
import type { CommandModule } from 'yargs';
import { openDataset } from '../../lib/data/dataset';
import { Issues } from '../../lib/data/issues';
import { ImageListDataset } from '../../lib/eval/image-list';
import { Gallery } from '../../lib/gallery';
import { embeddingOptions } from './embedding-options';
import { embedForGallery, openWithModel, type GalleryArgs } from './gallery-options';

interface Args extends Omit<GalleryArgs, 'weights'> {
  weights?: string;
  images?: string[];
  data?: string;
  id?: string;
  replace: boolean;
  remove?: string[];
  list: boolean;
}

const people = (n: number) => `${n} ${n === 1 ? 'person' : 'people'}`;

const cmd: CommandModule<object, Args> = {
  command: 'enroll [images..]',
  describe: 'Add people to a face gallery (a folder per person with --data, or images with --id), or remove them',
  builder: (y) =>
    embeddingOptions(y)
      .positional('images', { type: 'string', array: true, describe: 'Images of one person (with --id)' })
      .option('gallery', { type: 'string', demandOption: true, describe: 'Gallery folder (created when absent)' })
      .option('weights', { type: 'string', describe: 'Weights file (the gallery keeps its fingerprint)' })
      .option('data', { type: 'string', describe: 'A folder with one sub-folder of images per person' })
      .option('id', { type: 'string', describe: 'The name of the person in the images' })
      .option('replace', { type: 'boolean', default: false, describe: 'Replace people enrolled already' })
      .option('remove', { type: 'string', array: true, describe: 'Remove these people (no weights needed)' })
      .option('list', { type: 'boolean', default: false, describe: 'List who is enrolled' })
      .check((a) => {
        const adding = Boolean(a.data || a.images?.length);
        if (!adding && !a.remove?.length && !a.list)
          throw new Error('give --data DIR, or images with --id, or --remove, or --list');
        if (a.data && a.images?.length) throw new Error('give either --data or images, not both');
        if (a.images?.length && !a.id) throw new Error("images need the person's name: --id NAME");
        if (a.id && !a.images?.length) throw new Error('--id names the person in the images given after it');
        if (adding && !a.weights) throw new Error('enrolling needs --weights');
        return true;
      })
      .strict(),
  handler: async (argv) => {
    if (argv.remove?.length) {
      const g = await Gallery.open(argv.gallery);
      // All or nothing: an unknown name is named before anyone is removed.
      const unknown = argv.remove.filter((id) => !g.has(id));
      if (unknown.length) throw new Error(`${argv.gallery}: nobody enrolled as ${unknown.join(', ')}; nothing removed`);
      for (const id of argv.remove) await g.remove(id);
      console.error(`enroll: removed ${argv.remove.join(', ')}; ${people(g.size)} left in ${argv.gallery}`);
      await g.close();
    }
    if (argv.data || argv.images?.length) {
      const { model, gallery } = await openWithModel({ ...argv, weights: argv.weights! }, true);
      try {
        const issues = new Issues({ strict: argv.strict });
        const ds = argv.data
          ? openDataset({ data: argv.data, split: 'test', issues })
          : new ImageListDataset(argv.images!, `enroll ${argv.id}`);
        const names = argv.data ? ds.classes : [argv.id!];
        const { rows, labels, indices } = await embedForGallery(model, ds, { ...argv, weights: argv.weights! }, issues);
        const byPerson = new Map<string, Float32Array[]>();
        const firstImage = new Map<string, string>();
        rows.forEach((r, i) => {
          const name = names[labels[i]];
          byPerson.set(name, [...(byPerson.get(name) ?? []), r]);
          if (!firstImage.has(name)) firstImage.set(name, ds.source(indices[i]).path);
        });
        const missing = names.filter((n) => !byPerson.has(n));
        await gallery.enrollMany(
          [...byPerson].map(([id, embeddings]) => ({ id, embeddings })),
          { replace: argv.replace },
        );
        // The page of `serve` shows these next to search hits.
        for (const [id, file] of firstImage) await gallery.setThumbnail(id, fs.readFileSync(file));
        if (issues.count()) console.error(issues.summary());
        if (missing.length) console.error(`enroll: no usable image for ${missing.join(', ')}: not enrolled`);
        console.error(
          `enroll: ${people(byPerson.size)} from ${rows.length} image${rows.length === 1 ? '' : 's'} → ${argv.gallery} ` +
            `(${people(gallery.size)})`,
        );
        await gallery.close();
      } finally {
        model.dispose();
      }
    }
    if (argv.list) {
      const g = await Gallery.open(argv.gallery);
      for (const id of g.ids()) console.log(id);
      console.error(`${people(g.size)}, ${g.dim}-d templates, weights ${g.weights.file} (${g.weights.arch})`);
      await g.close();
    }
  },
};

export default cmd;
