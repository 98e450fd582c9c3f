/**
 * Hostile weights files are refused from what they declare, before anything of that size is
 * allocated: a zip record claiming gigabytes (a zip bomb) is an error naming the file, and the
 * process's peak memory stays small. Disposed models free their memory and reject every call.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { Model, describeWeights } from '../lib';
import { python, tmpDir } from './helpers/paths';

/** Sets the declared uncompressed size of `record` in the zip's central directory. */
function declareSize(zip: Buffer, record: string, size: number): Buffer {
  const out = Buffer.from(zip);
  for (let p = out.length - 46; p >= 0; p--) {
    if (out.readUInt32LE(p) !== 0x02014b50) continue;
    const nameLen = out.readUInt16LE(p + 28);
    if (out.toString('latin1', p + 46, p + 46 + nameLen).endsWith(record)) {
      out.writeUInt32LE(size, p + 24);
      return out;
    }
  }
  throw new Error(`no central directory entry for ${record}`);
}

describe('weights files declaring more than they hold', () => {
  let dir: string;
  let pth: Buffer;
  beforeAll(() => {
    dir = tmpDir('weights-bounds');
    const file = path.join(dir, 'small.pth');
    python(['-c', `import torch,sys; torch.save({'w': torch.zeros(3, 4)}, sys.argv[1])`, file]);
    pth = fs.readFileSync(file);
  });

  test.each(['data/0', 'data.pkl'])('a zip record %s claiming 4 GB is refused before it is read', async (record) => {
    const file = path.join(dir, `bomb-${record.replace(/\W/g, '_')}.pth`);
    fs.writeFileSync(file, declareSize(pth, record, 0xfffffff0));
    const before = process.resourceUsage().maxRSS;
    const model = await Model.create({ numClasses: 2, inputSize: 32 });
    try {
      await expect(model.load(file)).rejects.toThrow(
        new RegExp(`${file}: cannot load torch state_dict: zip record '.*${record}' declares 4294967280 bytes`),
      );
      await expect(describeWeights(file)).rejects.toThrow(/zip bomb/);
    } finally {
      model.dispose();
    }
    // maxRSS is in KiB: the 4 GB never came near.
    expect(process.resourceUsage().maxRSS - before).toBeLessThan(1024 * 1024);
  });
});

test('create/dispose cycles of ResNet-50 free the model each time, and calls after dispose reject', () => {
  // In a child process: its RSS is the models' alone, not jest's.
  const script = `
    const { Model } = require(${JSON.stringify(path.resolve(__dirname, '../dist/lib'))});
    (async () => {
      const rss = [];
      for (let i = 0; i < 12; i++) {
        const m = await Model.create({ numClasses: 1000, inputSize: 32 });
        m.dispose();
        rss.push(process.memoryUsage().rss);
      }
      const m = await Model.create({ numClasses: 2, inputSize: 32 });
      m.dispose();
      const err = await m.forward(new Uint8Array(2 * 32 * 32 * 3), [2, 32, 32, 3]).catch((e) => e.message);
      console.log(JSON.stringify({ rss, err }));
    })();`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  const { rss, err } = JSON.parse(r.stdout) as { rss: number[]; err: string };
  // ResNet-50 with 1000 classes is ~100 MB of weights: 12 kept alive would add > 1 GB.
  expect(rss[rss.length - 1] - rss[1]).toBeLessThan(300 * 2 ** 20);
  expect(err).toMatch(/this model was disposed: create or load a new Model/);
});

test('a stride-0 tensor claiming gigabytes from a 1-element storage is refused, naming the file', async () => {
  const file = path.join(tmpDir('weights-bounds'), 'stride0.pth');
  python([
    '-c',
    `import torch,sys; torch.save({'fc.weight': torch.zeros(1).expand(1000000, 2048)}, sys.argv[1])`,
    file,
  ]);
  await expect(describeWeights(file)).rejects.toThrow(
    `${file}: cannot load torch state_dict: tensor of shape [1000000, 2048] views a storage of only 1 elements`,
  );
});

describe('weights headers with implausible sizes', () => {
  /** A safetensors file holding fc.weight [2, 4] with the given metadata. */
  function safetensors(file: string, metadata: Record<string, string>): string {
    const header = Buffer.from(
      JSON.stringify({ __metadata__: metadata, 'fc.weight': { dtype: 'F32', shape: [2, 4], data_offsets: [0, 32] } }),
    );
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    fs.writeFileSync(file, Buffer.concat([len, header, Buffer.alloc(32)]));
    return file;
  }

  test('a huge class count is refused before a model is built, naming the file', async () => {
    const file = safetensors(path.join(tmpDir('weights-bounds'), 'classes.safetensors'), { num_classes: '1000000000' });
    await expect(describeWeights(file)).rejects.toThrow(`${file}: declares 1000000000 classes, outside 0..200000`);
    await expect(Model.fromFile(file)).rejects.toThrow(/declares 1000000000 classes/);
  });

  test('a class count that disagrees with the classifier tensor is refused', async () => {
    const file = safetensors(path.join(tmpDir('weights-bounds'), 'mismatch.safetensors'), { num_classes: '9' });
    await expect(describeWeights(file)).rejects.toThrow(`${file}: metadata says 9 classes but its tensor has 2`);
  });

  test('an input_size out of range is refused, naming the file', async () => {
    const file = safetensors(path.join(tmpDir('weights-bounds'), 'size.safetensors'), { input_size: '100000' });
    await expect(describeWeights(file)).rejects.toThrow(`${file}: input_size must be an integer from 32 to 1024`);
  });
});

test('describeWeights reads a safetensors header only: no tensor of a 135 MB file is loaded', async () => {
  const file = path.join(tmpDir('weights-bounds'), 'big.safetensors');
  const m = await Model.create({ numClasses: 5000, inputSize: 32 });
  await m.save(file);
  m.dispose();
  expect(fs.statSync(file).size).toBeGreaterThan(130e6);
  // In a child process: its peak RSS is the describe's alone (the addon loaded first).
  const script = `
    const lib = require(${JSON.stringify(path.resolve(__dirname, '../dist/lib'))});
    lib.info();
    const before = process.resourceUsage().maxRSS;
    lib.describeWeights(${JSON.stringify(file)}).then((d) => {
      console.log(JSON.stringify({ d, grew: process.resourceUsage().maxRSS - before }));
    });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr).toBe('');
  const { d, grew } = JSON.parse(r.stdout) as { d: { numClasses: number; arch: string }; grew: number };
  expect(d).toMatchObject({ numClasses: 5000, arch: 'resnet50' });
  expect(grew).toBeLessThan(40 * 1024); // KiB: reading the tensors would add ~135 MB
});
