import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import yargs from 'yargs';
import checkData from '../../bin/commands/check-data';
import demoData from '../../bin/commands/demo-data';
import prepare from '../../bin/commands/prepare';
import { CacheDataset } from '../../lib/data/cache';
import { tmpDir } from './helpers';

const cli = async (args: string[]) =>
  yargs(args)
    .command(demoData)
    .command(prepare)
    .command(checkData)
    .strict()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseAsync();

describe('CLI commands: demo-data → prepare → check-data', () => {
  test('round trip on demo data; check-data fails on a damaged copy', async () => {
    const dir = tmpDir('cli');
    const data = path.join(dir, 'demo');
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await cli(['demo-data', '--out', data, '--identities', '5', '--images', '6', '--size', '64', '--seed', '2']);
      await cli([
        'prepare',
        '--data',
        data,
        '--out',
        path.join(dir, 'c.lmdb'),
        '--crop',
        'align',
        '--size',
        '48',
        '--raw',
      ]);
      await cli(['check-data', '--data', data]);
      const sums = path.join(dir, 'sums.md5');
      fs.writeFileSync(sums, `${'0'.repeat(32)}  demo/meta/identity_meta.csv\n`);
      fs.writeFileSync(path.join(data, 'train/n000001/0002_01.jpg'), '');
      await expect(cli(['check-data', '--data', data, '--md5', sums])).rejects.toThrow(
        /2 problems[\s\S]*MD5 mismatch[\s\S]*zero-byte/,
      );
      // A FIFO where an image should be: counted like any unusable file, never opened (it would block).
      const img = path.join(data, 'train/n000001/0003_01.jpg');
      fs.rmSync(img);
      execFileSync('mkfifo', [img]);
      await expect(cli(['check-data', '--data', data])).rejects.toThrow(
        /2 problems:(?=[\s\S]*zero-byte)[\s\S]*0003_01\.jpg: the image must be a regular file, but it is a FIFO/,
      );
      await expect(
        cli(['prepare', '--data', data, '--out', path.join(dir, 'c.lmdb'), '--crop', 'loose', '--size', '48', '--raw']),
      ).rejects.toThrow(/refusing/);
      await expect(cli(['demo-data', '--out', data, '--bogus', '1'])).rejects.toThrow(/bogus/);
    } finally {
      write.mockRestore();
    }
    const cache = new CacheDataset(path.join(dir, 'c.lmdb'));
    expect(cache.size).toBe(24); // 4 train identities × 6
    expect(cache.meta.settings).toMatchObject({ crop: 'align', size: 48, encoding: 'raw' });
    await cache.close();
  });
});
