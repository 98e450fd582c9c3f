/** `vgg2-torch quantize` as users run it, and the int8 file in the commands that load weights. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { dataDir, removeTmpDirs, repoRoot, tmpDir } from '../helpers/paths';
import { tinyWeights } from '../eval/helpers';

jest.setTimeout(180_000);
afterAll(removeTmpDirs);

const cli = path.join(repoRoot, 'bin', 'vgg2-torch.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const orl = path.join(dataDir, 'orl');

test('quantize --mode static writes an int8 file that embed, verify and bench infer load', async () => {
  const dir = tmpDir('quant-cli');
  const weights = await tinyWeights(path.join(dir, 'w.safetensors'));
  const out = path.join(dir, 'w-int8.safetensors');
  const json = path.join(dir, 'q.json');
  const q = run('quantize', '--weights', weights, '--calibrate', orl, '--images', '16', '--out', out, '--json', json);
  expect(q.status).toBe(0);
  expect(q.stderr).toMatch(/calibration: 16 images of image folder .*orl.*; 0 skipped/);
  expect(q.stderr).toMatch(/static \(onednn|static \(fbgemm|static \(x86|static \(qnnpack/);
  const result = JSON.parse(fs.readFileSync(json, 'utf8'));
  expect(result).toMatchObject({ mode: 'static', calibrationImages: 16, observer: 'histogram' });
  expect(result.agreementOnCalibration.images).toBe(16);
  expect(result.sizeRatio).toBeLessThan(0.3);

  const face = (s: number, k: number) => path.join(orl, `s${s}`, `${k}.png`);
  const list = path.join(dir, 'list.txt');
  fs.writeFileSync(list, [face(1, 1), face(2, 1)].join('\n'));
  const embed = run('embed', '--weights', out, '--images', list, '--crop', 'none', '--out', path.join(dir, 'e.npy'));
  expect(embed.status).toBe(0);
  expect(fs.existsSync(path.join(dir, 'e.npy'))).toBe(true);
  const verify = run('verify', '--weights', out, face(1, 1), face(1, 2));
  expect(verify.status).toBe(0);
  expect(verify.stdout).toMatch(/cosine/i);
  const bench = run(
    'bench',
    'infer',
    '--weights',
    out,
    '--batch',
    '2',
    '--steps',
    '1',
    '--warmup',
    '0',
    '--input-size',
    '32',
  );
  expect(bench.status).toBe(0);
  expect(JSON.parse(bench.stdout.trim().split('\n').pop()!)).toMatchObject({ inference: 'static', bf16: false });
});

test('bad invocations: static without --calibrate, a folder without images, an int8 file quantized again; nothing written', async () => {
  const dir = tmpDir('quant-cli-bad');
  const weights = await tinyWeights(path.join(dir, 'w.safetensors'));
  const out = path.join(dir, 'never.safetensors');
  const noCalib = run('quantize', '--weights', weights, '--out', out);
  expect(noCalib.status).not.toBe(0);
  expect(noCalib.stderr).toMatch(/--mode static needs --calibrate DIR/);
  const empty = tmpDir('quant-cli-empty');
  fs.writeFileSync(path.join(empty, 'readme.txt'), 'no faces here');
  const none = run('quantize', '--weights', weights, '--calibrate', empty, '--out', out);
  expect(none.status).not.toBe(0);
  expect(none.stderr).toMatch(/no images to calibrate with/);
  const dyn = path.join(dir, 'dyn.safetensors');
  expect(run('quantize', '--weights', weights, '--mode', 'dynamic', '--out', dyn).status).toBe(0);
  const twice = run('quantize', '--weights', dyn, '--mode', 'dynamic', '--out', out);
  expect(twice.status).not.toBe(0);
  expect(twice.stderr).toMatch(/already dynamic: quantize the fp32 model/);
  const notModel = path.join(dir, 'notes.safetensors');
  fs.writeFileSync(notModel, 'hello');
  const bad = run('quantize', '--weights', notModel, '--mode', 'dynamic', '--out', out);
  expect(bad.status).not.toBe(0);
  expect(bad.stderr).toMatch(/notes\.safetensors/);
  expect(fs.existsSync(out)).toBe(false);
});
