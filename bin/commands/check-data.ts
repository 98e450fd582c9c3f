import type { CommandModule } from 'yargs';
import { checkData } from '../../lib/data/check';
import { Issues } from '../../lib/data/issues';
import { progressWriter } from './progress-writer';

interface Args {
  data: string;
  images?: string;
  md5?: string;
  concurrency: number;
}

const cmd: CommandModule<object, Args> = {
  command: 'check-data',
  describe:
    'Check a download: MD5 sums, every listed image present and decodable, boxes inside images, identities consistent',
  builder: (y) =>
    y
      .option('data', { type: 'string', demandOption: true, describe: 'VGGFace2 root, image folder or cache' })
      .option('images', {
        type: 'string',
        describe: 'VGGFace2: images folder when not <data>/<split>',
        default: undefined,
      })
      .option('md5', {
        type: 'string',
        describe: 'md5sum-format file of the archives (names relative to it)',
        default: undefined,
      })
      .option('concurrency', { type: 'number', default: 8, describe: 'Images decoded at once' })
      .strict(),
  handler: async (argv) => {
    const issues = new Issues({ examples: 5 });
    const shown = progressWriter();
    const r = await checkData({
      data: argv.data,
      images: argv.images,
      md5: argv.md5,
      concurrency: argv.concurrency,
      issues,
      progress: (done, total) => shown.update(`check-data: ${done}/${total} images`, done === total),
    });
    shown.end();
    const records = r.checkedRecords ? `${r.checkedRecords} cache records, ` : '';
    process.stderr.write(
      `${r.datasets.join('\n')}\ncheck-data: ${records}${r.checkedImages} images, ${r.checkedArchives} archives checked\n`,
    );
    if (r.sourceAbsent)
      process.stderr.write(`check-data: source images not checked: ${r.sourceAbsent} is not on this machine\n`);
    if (issues.count() > 0) throw new Error(`check-data found ${issues.count()} problems:\n${issues.summary()}`);
    process.stderr.write('check-data: no problems found\n');
  },
};

export default cmd;
