/**
 * Opt-in (about 6 minutes per side, seed and arch): our Trainer vs train_reference.py on ORL.
 *   npm run bench -- --only train-orl [--seeds 0,1,2] [--arch resnet50,senet50]
 */
import { benchOrl, orlRows, type Arch } from '../train-orl';
import type { Row, Suite } from '../harness';

const ARCHS: readonly Arch[] = ['resnet50', 'senet50'];

const suite: Suite = {
  name: 'train-orl',
  describe:
    'training from scratch on ORL (40 ids, 2 held out each), 112px, batch 16, 40 epochs, warmup + cosine, bf16: held-out top-1 and seconds, ours vs train_reference.py',
  optIn: true,
  flags: { seeds: 'seeds, e.g. 0,1,2', arch: 'resnet50, senet50 or both, comma-separated' },
  async run({ smoke, arg, log }) {
    const seeds = (arg('seeds') ?? '0').split(',').map(Number);
    if (seeds.some((s) => !Number.isInteger(s) || s < 0))
      throw new Error(`--seeds: expected a list like 0,1,2, got ${arg('seeds')}`);
    const archs = (arg('arch') ?? 'resnet50').split(',') as Arch[];
    const bad = archs.filter((a) => !ARCHS.includes(a));
    if (bad.length) throw new Error(`--arch: expected resnet50 and/or senet50, got ${bad.join(', ')}`);
    const epochs = smoke ? 1 : 40;
    const rows: Row[] = [];
    for (const arch of archs) {
      for (const seed of seeds) rows.push(...orlRows(await benchOrl({ epochs, seed, arch, log }), arch, epochs, seed));
    }
    return rows;
  },
};

export default suite;
