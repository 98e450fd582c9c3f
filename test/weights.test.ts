/** Weights: safetensors round trip, an independent reader, strict loading, and hostile files. */
import fs from 'fs';
import path from 'path';
import { Model } from '../lib';
import { colourBatch } from './helpers/batches';
import { python, pythonModuleExists, referenceDir, tmpDir } from './helpers/paths';
import { readSafetensors } from './helpers/safetensors';

const dir = tmpDir('weights');

test('save -> load round-trips exactly, BatchNorm running statistics included', async () => {
  const a = await Model.create({
    arch: 'senet50',
    numClasses: 6,
    seed: 5,
    inputSize: 64,
    classNames: ['a', 'b', 'c', 'd', 'e', 'f'],
  });
  const { x, labels, shape } = colourBatch(4, 32, 6);
  await a.trainStep(x, shape, labels, { lr: 0.01 }); // moves weights and running stats away from init
  const file = path.join(dir, 'a.safetensors');
  await a.save(file);
  const b = await Model.fromFile(file);
  expect(b.config.arch).toBe('senet50');
  expect(b.config.numClasses).toBe(6);
  expect(b.classNames).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  expect(b.inputSize).toBe(64);
  await b.save(path.join(dir, 'b.safetensors'));
  const ta = readSafetensors(file).tensors;
  const tb = readSafetensors(path.join(dir, 'b.safetensors')).tensors;
  expect([...tb.keys()].sort()).toEqual([...ta.keys()].sort());
  expect(ta.get('layer1.0.bn1.num_batches_tracked')!.data[0]).toBe(1n);
  for (const [name, t] of ta) {
    const u = tb.get(name)!;
    expect(u.shape).toEqual(t.shape);
    let maxAbs = 0;
    for (let i = 0; i < t.data.length; i++) maxAbs = Math.max(maxAbs, Math.abs(Number(t.data[i]) - Number(u.data[i])));
    expect(maxAbs).toBe(0);
  }
  const [oa, ob] = [await a.forward(x, shape), await b.forward(x, shape)];
  expect(Buffer.from(oa.logits.buffer).equals(Buffer.from(ob.logits.buffer))).toBe(true);
  a.dispose();
  b.dispose();
});

test('our safetensors file reads in Python (safetensors if installed, else numpy over the spec)', async () => {
  const model = await Model.create({ numClasses: 3, seed: 6 });
  const file = path.join(dir, 'py.safetensors');
  await model.save(file, { note: 'hello' });
  // Debian 12 has no python3-safetensors: then numpy reads the file by the spec.
  const script = pythonModuleExists('safetensors')
    ? `from safetensors.numpy import load_file; import json,sys; t=load_file(sys.argv[1]); print(json.dumps({k: [list(v.shape), float(v.astype('float64').sum())] for k,v in t.items()}))`
    : `import json,sys,struct,numpy as np
b=open(sys.argv[1],'rb').read(); n=struct.unpack('<Q',b[:8])[0]; h=json.loads(b[8:8+n])
assert n % 8 == 0 and all(isinstance(v,str) for v in h['__metadata__'].values())
dt={'F32':'<f4','I64':'<i8'}; out={}; end=0
for k,v in sorted(((k,v) for k,v in h.items() if k!='__metadata__'), key=lambda kv: kv[1]['data_offsets'][0]):
  s,e=v['data_offsets']; assert s==end; end=e
  a=np.frombuffer(b[8+n+s:8+n+e],dtype=dt[v['dtype']]).reshape(v['shape']); out[k]=[list(a.shape), float(a.astype('float64').sum())]
assert 8+n+end==len(b); out['__metadata__']=h['__metadata__']; print(json.dumps(out))`;
  const parsed = JSON.parse(python(['-c', script, file]));
  const ours = readSafetensors(file);
  expect(ours.metadata).toMatchObject({ arch: 'resnet50', num_classes: '3', format: 'vgg2-torch', note: 'hello' });
  if (parsed.__metadata__) expect(parsed.__metadata__).toEqual(ours.metadata);
  for (const [name, t] of ours.tensors) {
    expect(parsed[name][0]).toEqual(t.shape);
    const sum = Array.from(t.data as ArrayLike<number | bigint>, Number).reduce((s, v) => s + v, 0);
    expect(Math.abs(parsed[name][1] - sum)).toBeLessThanOrEqual(1e-3 * (1 + Math.abs(sum)));
  }
  model.dispose();
});

describe('strict loading lists what does not fit', () => {
  let small: string;
  beforeAll(async () => {
    const m = await Model.create({ numClasses: 10, seed: 7 });
    small = path.join(dir, 'r10.safetensors');
    await m.save(small);
    m.dispose();
  });

  test('a shape mismatch names the tensor and both shapes', async () => {
    const m = await Model.create({ numClasses: 12 });
    await expect(m.load(small)).rejects.toThrow(
      /shape mismatch: fc\.weight \[10, 2048\] in file vs \[12, 2048\] in model/,
    );
    m.dispose();
  });

  test('missing keys (SE layers) are listed; non-strict loads the rest and reports them', async () => {
    const m = await Model.create({ arch: 'senet50', numClasses: 10 });
    await expect(m.load(small)).rejects.toThrow(/missing: layer1\.0\.se\.fc\.0\.weight/);
    const report = await m.load(small, { strict: false });
    expect(report.missing).toHaveLength(16 * 4);
    expect(report.unexpected).toEqual([]);
    m.dispose();
  });

  test('unexpected keys are listed', async () => {
    const se = await Model.create({ arch: 'senet50', numClasses: 10 });
    const file = path.join(dir, 'se10.safetensors');
    await se.save(file);
    se.dispose();
    const m = await Model.create({ numClasses: 10 });
    await expect(m.load(file)).rejects.toThrow(/unexpected: layer1\.0\.se\.fc\.0\.bias/);
    m.dispose();
  });
});

describe('bad weights files are errors, never crashes', () => {
  let model: Model;
  let pth: string;
  beforeAll(async () => {
    model = await Model.create({ numClasses: 10 });
    const out = tmpDir('oracle-small');
    python(
      ['oracle.py', '--arch', 'resnet50', '--classes', '10', '--size', '32', '--batch', '1', '--out', out],
      referenceDir,
    );
    pth = path.join(out, 'weights.pth');
  });
  afterAll(() => model.dispose());

  test('missing file', async () => {
    await expect(model.load(path.join(dir, 'nope.pth'))).rejects.toThrow(/cannot open weights file .*nope\.pth/);
  });

  test('empty, random and text files', async () => {
    const cases: Array<[string, Buffer]> = [
      ['empty.pth', Buffer.alloc(0)],
      ['random.bin', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) & 255))],
      ['text.safetensors', Buffer.from('hello, this is not a weights file\n')],
    ];
    for (const [name, bytes] of cases) {
      const f = path.join(dir, name);
      fs.writeFileSync(f, bytes);
      await expect(model.load(f)).rejects.toThrow(/not a weights file|safetensors|header/i);
    }
  });

  test('truncated PyTorch zips and safetensors at many offsets', async () => {
    const full = fs.readFileSync(pth);
    const st = path.join(dir, 'full.safetensors');
    await model.save(st);
    const stFull = fs.readFileSync(st);
    for (const [bytes, ext] of [
      [full, 'pth'],
      [stFull, 'safetensors'],
    ] as const) {
      for (const frac of [0.001, 0.01, 0.3, 0.9, 0.999]) {
        const f = path.join(dir, `cut-${frac}.${ext}`);
        fs.writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length * frac)));
        await expect(model.load(f)).rejects.toThrow(
          /(cannot load|truncated|safetensors|not a weights file|header|failed)/i,
        );
      }
    }
  });

  test('safetensors headers: duplicate keys, bad JSON, types and sizes are refused, naming the fault', async () => {
    const entry = (shape: string, offsets: string, extra = '') =>
      `{"dtype":"F32",${extra}"shape":${shape},"data_offsets":${offsets}}`;
    const f32 = entry('[1]', '[0, 4]');
    const cases: Array<[string, Buffer | string, number, RegExp]> = [
      ['duplicate tensor', `{"a":${f32},"a":${f32}}`, 4, /header: duplicate key "a"/],
      ['duplicate metadata key', '{"__metadata__":{"k":"1","k":"2"}}', 0, /header: duplicate key "k"/],
      [
        'duplicate field of an entry',
        `{"a":${entry('[1]', '[0, 4]', '"dtype":"F32",')}}`,
        4,
        /header: duplicate key "dtype"/,
      ],
      ['data after the JSON', '{} {}', 0, /header: .*syntax error/],
      [
        'invalid UTF-8',
        Buffer.concat([Buffer.from('{"__metadata__":{"k":"'), Buffer.from([0xff]), Buffer.from('"}}')]),
        0,
        /header: .*UTF-8/,
      ],
      ['nesting too deep', `{"__metadata__":{"k":${'['.repeat(80)}${']'.repeat(80)}}}`, 0, /nesting deeper than 64/],
      [
        'metadata value not a string',
        '{"__metadata__":{"k":1}}',
        0,
        /__metadata__ value for 'k' is a number, not a string/,
      ],
      ['fractional dimension', `{"a":${entry('[1.0]', '[0, 4]')}}`, 4, /shape entries must be non-negative integers/],
      [
        'negative offset',
        `{"a":${entry('[1]', '[-4, 0]')}}`,
        4,
        /data_offsets must be \[begin, end\] non-negative integers/,
      ],
      [
        'offsets that disagree with the shape',
        `{"a":${entry('[2]', '[0, 4]')}}`,
        4,
        /data_offsets span 4 bytes, but dtype and shape need 8/,
      ],
      ['tensors that do not cover the data', `{"a":${f32}}`, 8, /4 trailing bytes in the data buffer/],
    ];
    for (const [name, header, dataBytes, message] of cases) {
      const json = Buffer.from(header);
      const length = Buffer.alloc(8);
      length.writeBigUInt64LE(BigInt(json.length));
      const f = path.join(dir, `bad-header-${name.replace(/ /g, '-')}.safetensors`);
      fs.writeFileSync(f, Buffer.concat([length, json, Buffer.alloc(dataBytes)]));
      await expect(model.load(f)).rejects.toThrow(message);
    }
    // A header length beyond the file's end.
    const f = path.join(dir, 'bad-header-length.safetensors');
    const bytes = Buffer.concat([Buffer.alloc(8), Buffer.from('{}')]);
    bytes.writeBigUInt64LE(BigInt(1000));
    fs.writeFileSync(f, bytes);
    await expect(model.load(f)).rejects.toThrow(/header length 1000 exceeds the file size/);
  });

  test('a pickle that asks for os.system is refused without running it', async () => {
    const out = tmpDir('hostile');
    const marker = path.join(out, 'pwned');
    const script = `import torch, os, sys
class Evil:
    def __reduce__(self): return (os.system, ('touch ${marker}',))
torch.save({'fc.weight': Evil()}, sys.argv[1])`;
    python(['-c', script, path.join(out, 'evil.pth')]);
    await expect(model.load(path.join(out, 'evil.pth'))).rejects.toThrow(/os\.?\s?system|refuse|not allowed/i);
    expect(fs.existsSync(marker)).toBe(false);
  });
});
