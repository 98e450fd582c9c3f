import * as path from 'path';
import yargs from 'yargs';
import bench from '../../bin/commands/bench';
import { prepareCache } from '../../lib/data/cache';
import { ImageFolderDataset } from '../../lib/data/image-folder';
import { tmpDir, writeImage } from '../data/helpers';

const cli = async (args: string[]) =>
  yargs(args)
    .command(bench)
    .strict()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseAsync();

/** Runs the command and returns what it printed on stdout. */
async function stdout(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    await cli(args);
  } finally {
    log.mockRestore();
  }
  return lines;
}

describe('vgg2-torch bench loader', () => {
  let root: string;
  beforeAll(async () => {
    root = tmpDir('bench-loader');
    for (let c = 0; c < 2; c++)
      for (let k = 0; k < 6; k++)
        await writeImage(path.join(root, `id${c}`, `${k}.jpg`), 70 + 9 * k, 60, 'jpeg', 6 * c + k);
  });

  test('one JSON line with img_per_s, from files and from a cache', async () => {
    const small = ['--size', '32', '--batch', '4', '--batches', '2'];
    const files = await stdout(['bench', 'loader', '--data', root, ...small, '--workers', '1']);
    expect(files).toHaveLength(1);
    expect(JSON.parse(files[0])).toMatchObject({
      impl: 'vgg2-torch-loader',
      source: 'files',
      images: 12,
      size: 32,
      batch: 4,
      workers: 1,
    });
    // 2 timed batches of 4 after warm-up; the rate is those images over their seconds.
    const f = JSON.parse(files[0]);
    expect(f.timed_images).toBe(8);
    expect(f.seconds).toBeGreaterThan(0);
    expect(Math.abs(f.img_per_s - f.timed_images / f.seconds)).toBeLessThan(0.01 * f.img_per_s + 0.1);
    const cache = path.join(tmpDir('bench-loader-cache'), 'c.lmdb');
    await prepareCache({
      dataset: new ImageFolderDataset({ root }),
      dataPath: root,
      out: cache,
      crop: 'none',
      size: 32,
      encoding: 'raw',
    });
    const cached = await stdout(['bench', 'loader', '--cache', cache, ...small]);
    expect(cached).toHaveLength(1);
    expect(JSON.parse(cached[0])).toMatchObject({ source: 'cache-raw', images: 12 });
  });

  test('bad arguments are errors', async () => {
    await expect(cli(['bench', 'loader'])).rejects.toThrow(/exactly one of --data or --cache/);
    await expect(cli(['bench', 'loader', '--data', root, '--cache', 'x'])).rejects.toThrow(/exactly one/);
    await expect(cli(['bench', 'loader', '--data', root, '--workers', '0'])).rejects.toThrow(/--workers/);
  });
});
