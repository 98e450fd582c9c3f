/** One entry point for every protocol: a model, a protocol name and its data → a ProtocolResult. */
import * as fs from 'fs';
import { closedSetSplit, openDataset } from '../data/dataset';
import { Issues } from '../data/issues';
import type { Dataset } from '../data/types';
import { detectDataset } from '../detect/detected-dataset';
import type { Model } from '../model';
import { embedDataset, embedEncoded, type EmbedOptions } from './embed';
import { binProtocol, readBin } from './protocols/bin';
import { cfpProtocol } from './protocols/cfp';
import { classifyProtocol } from './protocols/classify';
import { identifyProtocol } from './protocols/identify';
import { lfwProtocol } from './protocols/lfw';
import { templateProtocol } from './protocols/templates';
import type { Embedder, ProtocolName, ProtocolResult } from './protocols/types';
import { allPairsProtocol, pairsListProtocol } from './protocols/verify';

/** The protocol's options, and how embeddings are computed (as embed()). */
export interface EvalOptions extends Omit<EmbedOptions, 'onProgress'> {
  protocol: ProtocolName;
  /** Dataset root / image folder / cache; CFP root; LFW image root; a .bin file. */
  data: string;
  /** VGGFace2: the images folder when apart from the metadata. */
  images?: string;
  /** verify: a labelled pairs list; pairs: the pairs.txt (default <data>/pairs.txt). */
  pairs?: string;
  /** classify: images held out per identity (default 2) and the split seed (as in training). */
  holdout?: number;
  seed?: number;
  /** identify: gallery images per identity (default 1), identities kept out of the gallery (default 0). */
  galleryPerId?: number;
  unknown?: number;
  /** cfp: only these folds (e.g. `['10']`, identities a model was not trained on); default all with images. */
  folds?: readonly (string | number)[];
}

export async function evaluate(model: Model, opts: EvalOptions): Promise<ProtocolResult> {
  const issues = opts.issues ?? new Issues();
  const embedOpts = {
    size: opts.size,
    crop: opts.crop,
    noFace: opts.noFace,
    batchSize: opts.batchSize,
    flip: opts.flip,
    output: opts.output,
    issues,
  };
  const embed: Embedder = (ds: Dataset) => embedDataset(model, ds, embedOpts);
  if (!fs.existsSync(opts.data)) throw new Error(`${opts.data}: no such file or directory`);
  const open = (split?: 'train' | 'test') => openDataset({ data: opts.data, images: opts.images, split, issues });
  switch (opts.protocol) {
    case 'classify': {
      const { test } = closedSetSplit(open('train'), opts.holdout ?? 2, opts.seed ?? 0);
      if (test.size === 0)
        throw new Error(`classify: no held-out images (every identity has at most ${opts.holdout ?? 2} images)`);
      if (opts.crop === 'detect') {
        const faces = await detectDataset(test, { noFace: opts.noFace, issues });
        return classifyProtocol(model, faces, { ...embedOpts, crop: 'align', issues });
      }
      return classifyProtocol(model, test, { ...embedOpts, crop: opts.crop, issues });
    }
    case 'verify': {
      if (opts.pairs) return pairsListProtocol(embed, opts.pairs, opts.images ?? opts.data);
      const ds = open('test');
      return allPairsProtocol(ds, await embed(ds));
    }
    case 'identify': {
      const ds = open('test');
      return identifyProtocol(ds, await embed(ds), {
        galleryPerId: opts.galleryPerId,
        unknown: opts.unknown,
        seed: opts.seed,
      });
    }
    case 'pose':
    case 'age':
      return templateProtocol(embed, opts.protocol, { root: opts.data, images: opts.images });
    case 'pairs':
      return lfwProtocol(embed, { images: opts.data, pairs: opts.pairs });
    case 'cfp':
      return cfpProtocol(embed, opts.data, { folds: opts.folds });
    case 'bin': {
      const bin = readBin(opts.data);
      return binProtocol(opts.data, bin, await embedEncoded(model, bin.images, opts.data, embedOpts));
    }
    default:
      throw new Error(`unknown protocol '${opts.protocol as string}'`);
  }
}
