/**
 * The data loader against loader_bench.py (torchvision DataLoader, 2 worker processes) on the CFP
 * JPEGs at 112 px, batch 32: from the files, and from raw and JPEG caches of the same images
 * (prepared first, in a temp folder, with `vgg2-torch prepare --crop none`).
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { Row, Suite, alternate, ourCli, reference, repoRoot } from '../harness';

const cfp = path.resolve(repoRoot, '..', 'shared', 'data', 'cfp', 'Data', 'Images');

function prepare(out: string, raw: boolean): void {
  const args = [
    path.join(repoRoot, 'bin', 'vgg2-torch.js'),
    'prepare',
    '--data',
    cfp,
    '--out',
    out,
    '--crop',
    'none',
    '--size',
    '112',
    ...(raw ? ['--raw'] : []),
  ];
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prepare ${out} failed (${r.status}):\n${r.stderr}`);
}

const suite: Suite = {
  name: 'loader',
  describe: 'decode + resize + random crop + flip + gray (p 0.2) into uint8 112x112 batches of 32, CFP images',
  async run({ rounds, quick, log }) {
    if (!fs.existsSync(cfp)) throw new Error(`${cfp} not found`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-bench-loader-'));
    try {
      log('loader: preparing raw and JPEG caches of CFP');
      const rawCache = path.join(tmp, 'raw.lmdb');
      const jpegCache = path.join(tmp, 'jpeg.lmdb');
      prepare(rawCache, true);
      prepare(jpegCache, false);
      const batches = quick ? '20' : '40';
      const workers = String(os.availableParallelism());
      const common = ['--size', '112', '--batch', '32', '--batches', batches];
      const theirs = () => reference('loader_bench.py', ['--root', cfp, ...common, '--workers', workers]);
      const configs: { label: string; args: string[]; target?: number }[] = [
        { label: 'JPEG files, native decoder', args: ['--data', cfp], target: 2 },
        { label: 'raw cache', args: ['--cache', rawCache], target: 4 },
        { label: 'JPEG cache (q95)', args: ['--cache', jpegCache], target: 4 },
        { label: 'JPEG files, sharp decoder', args: ['--data', cfp, '--decoder', 'sharp'] },
      ];
      const rows: Row[] = [];
      for (const c of configs) {
        log(`loader: ${c.label}`);
        const m = alternate(
          rounds,
          () => ourCli(['bench', 'loader', ...c.args, ...common, '--workers', workers]),
          theirs,
          'img_per_s',
          log,
        );
        rows.push({
          suite: 'loader',
          config: c.label,
          unit: 'img/s',
          ...m,
          ratio: m.ours / m.pytorch,
          target: c.target,
          rounds,
        });
      }
      return rows;
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  },
};

export default suite;
