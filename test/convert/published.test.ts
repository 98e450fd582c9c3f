/**
 * The VGGFace2 authors' published models: files built by a PyTorch reference of their ResNet v1
 * (test/convert/published_models.py, python3-torch) from known tensors load as variant 'caffe'
 * and give the reference's outputs; `vgg2-torch convert` writes them as safetensors; a missing,
 * extra or mis-shaped key is an error naming it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Model, describeWeights } from '../../lib';
import { haveReference, pythonHas, removeTmpDirs, repoRoot, systemPython, tmpDir } from '../helpers/paths';
import { relativeError } from '../helpers/relative-error';

jest.setTimeout(300_000);
afterAll(removeTmpDirs);

const ok = haveReference('python3-torch (the reference of the published models)', pythonHas('torch'));
const maybe = ok ? test : test.skip;
const cli = path.join(repoRoot, 'bin', 'vgg2-torch.js');
const SIZE = 112;

function build(arch: string, classes: number, embedding: number): string {
  const dir = tmpDir(`published-${arch}-${embedding}`);
  const r = spawnSync(
    systemPython,
    [path.join(__dirname, 'published_models.py'), dir, arch, String(classes), String(embedding), String(SIZE)],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`published_models.py failed: ${r.stderr}`);
  return dir;
}

async function ours(file: string, embedding: boolean, dir: string): Promise<number> {
  const model = await Model.fromFile(file);
  try {
    expect(model.describe()).toMatchObject({ variant: 'caffe', inputSize: 224 });
    expect(model.normalization).toEqual({ mean: [131.0912, 103.8827, 91.4953], std: [1, 1, 1] });
    const x = new Uint8Array(fs.readFileSync(path.join(dir, 'input.u8')));
    const out = await model.forward(x, [2, SIZE, SIZE, 3]);
    const ref = new Float32Array(new Uint8Array(fs.readFileSync(path.join(dir, 'reference.f32'))).buffer);
    return relativeError(embedding ? out.embedding! : out.features, ref);
  } finally {
    model.dispose();
  }
}

describe.each([
  ['resnet50', 0],
  ['senet50', 0],
  ['resnet50', 128],
])('%s (embedding %d)', (arch, embedding) => {
  let dir: string;
  beforeAll(() => {
    if (ok) dir = build(arch, 10, embedding);
  });

  maybe('the Caffe-converted state_dict gives the reference features', async () => {
    const file = path.join(dir, 'caffe.pth');
    const d = await describeWeights(file);
    expect(d).toMatchObject({ arch, variant: 'caffe', numClasses: embedding ? 1 : 10, embeddingDim: embedding });
    expect(await ours(file, embedding > 0, dir)).toBeLessThan(1e-4);
  });

  maybe('the VGGFace2-pytorch .pkl gives the reference features', async () => {
    if (embedding) return; // VGGFace2-pytorch publishes the 2048-d models only
    expect(await ours(path.join(dir, 'vggface2.pkl'), false, dir)).toBeLessThan(1e-4);
  });

  maybe('convert writes safetensors that load by themselves and give the same features', async () => {
    const out = path.join(dir, 'converted.safetensors');
    const r = spawnSync(process.execPath, [cli, 'convert', '--in', path.join(dir, 'caffe.pth'), '--out', out], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`${arch} \\(caffe\\).*from caffe names`));
    expect(await ours(out, embedding > 0, dir)).toBeLessThan(1e-4);
    if (embedding) return;
    // To a state_dict for torch.load: PyTorch's own v1 network takes it and computes the same.
    const pth = path.join(dir, 'converted.pth');
    const back = spawnSync(process.execPath, [cli, 'convert', '--in', out, '--out', pth], { encoding: 'utf8' });
    expect(back.status).toBe(0);
    expect(back.stderr).toMatch(/variant: 'caffe'/);
    const check = spawnSync(
      systemPython,
      [path.join(__dirname, 'published_models.py'), dir, arch, '10', '0', String(SIZE), '--check', pth],
      { encoding: 'utf8' },
    );
    expect(check.stderr).toBe('');
    expect(Number(check.stdout)).toBeLessThan(1e-4);
  });
});

maybeQuantized();

/** The v1 network folds and quantizes like ours (stride on the 1×1 conv, unpadded ceil_mode pool). */
function maybeQuantized() {
  maybe('a converted SE-ResNet-50 v1 folds exactly and quantizes to int8', async () => {
    const dir = build('senet50', 10, 0);
    const model = await Model.fromFile(path.join(dir, 'vggface2.pkl'));
    const x = new Uint8Array(fs.readFileSync(path.join(dir, 'input.u8')));
    const ref = new Float32Array(new Uint8Array(fs.readFileSync(path.join(dir, 'reference.f32'))).buffer);
    const folded = await model.quantize({ mode: 'folded' });
    expect(relativeError((await folded.forward(x, [2, SIZE, SIZE, 3])).features, ref)).toBeLessThan(1e-4);
    const int8 = await model.quantize({ mode: 'static', calibration: [{ data: x, shape: [2, SIZE, SIZE, 3] }] });
    expect(int8.describe().variant).toBe('caffe');
    expect(relativeError((await int8.forward(x, [2, SIZE, SIZE, 3])).features, ref)).toBeLessThan(0.2);
    for (const m of [int8, folded, model]) m.dispose();
  });
}

describe('bad published files', () => {
  let dir: string;
  beforeAll(() => {
    if (ok) dir = build('resnet50', 10, 0);
  });

  /** A copy of the Caffe .pth with its state edited by a line of Python. */
  function edited(name: string, edit: string): string {
    const out = path.join(dir, name);
    const script = `import torch,sys; s=torch.load(sys.argv[1]); ${edit}; torch.save(s, sys.argv[2])`;
    const r = spawnSync(systemPython, ['-c', script, path.join(dir, 'caffe.pth'), out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return out;
  }

  maybe('an extra, a missing or a mis-shaped key is an error naming it', async () => {
    const extra = edited('extra.pth', "s['conv9_1_3x3.weight']=torch.zeros(1)");
    await expect(Model.fromFile(extra)).rejects.toThrow(
      /'conv9_1_3x3\.weight' is not a name of the VGGFace2 Caffe models/,
    );
    const missing = edited('missing.pth', "del s['conv3_2_3x3_bn.running_var']");
    await expect(Model.fromFile(missing)).rejects.toThrow(/missing: layer2\.1\.bn2\.running_var/);
    const shaped = edited('shaped.pth', "s['conv4_1_1x1_proj.weight']=torch.zeros(1024,512,3,3)");
    await expect(Model.fromFile(shaped)).rejects.toThrow(/shape mismatch: layer3\.0\.downsample\.0\.weight/);
  });

  maybe('a pickle that is not a dict of arrays, or calls anything else, is refused', async () => {
    const write = (name: string, code: string) => {
      const out = path.join(dir, name);
      const r = spawnSync(systemPython, ['-c', code, out], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      return out;
    };
    const list = write(
      'list.pkl',
      'import pickle,sys; pickle.dump({"conv1.weight": [1, 2]}, open(sys.argv[1], "wb"), protocol=2)',
    );
    await expect(Model.fromFile(list)).rejects.toThrow(/'conv1\.weight' is a list, not an array/);
    const evil = write(
      'evil.pkl',
      'import pickle,sys,os\nclass E:\n  def __reduce__(self): return (os.system, ("true",))\npickle.dump({"a": E()}, open(sys.argv[1], "wb"), protocol=2)',
    );
    await expect(Model.fromFile(evil)).rejects.toThrow(/refuses global 'posix\.system'/);
    const bigEndian = write(
      'big-endian.pkl',
      'import pickle,sys,numpy as np; pickle.dump({"conv1.weight": np.zeros((2, 2), ">f4")}, open(sys.argv[1], "wb"), protocol=2)',
    );
    await expect(Model.fromFile(bigEndian)).rejects.toThrow(/big-endian numpy arrays are not supported/);
    // An array whose state declares 4x4 floats but holds the bytes of 2x2.
    const short = write(
      'short.pkl',
      [
        'import pickle,sys,numpy as np',
        'f, args, state = np.zeros((2, 2), np.float32).__reduce__()',
        'class Short:',
        '  def __reduce__(self): return (f, args, (state[0], (4, 4)) + tuple(state[2:]))',
        'pickle.dump({"conv1.weight": Short()}, open(sys.argv[1], "wb"), protocol=2)',
      ].join('\n'),
    );
    await expect(Model.fromFile(short)).rejects.toThrow(/an array of shape \[4, 4\] has 16 bytes/);
  });
});
