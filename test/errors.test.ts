/**
 * Every argument error is a TypeError / RangeError raised before native work (async methods
 * reject with it), with a message that says what is wrong; nothing crashes the process.
 * Errors are matched by name: the addon's errors come from the main realm, not jest's.
 */
import { Model } from '../lib';
import { native } from '../lib/native';

let model: Model;
beforeAll(async () => {
  model = await Model.create({ numClasses: 5, seed: 0 });
});
afterAll(() => model.dispose());

async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  throw new Error('expected a rejection');
}

const x = new Uint8Array(2 * 32 * 32 * 3);
const labels = new Int32Array([0, 1]);

test.each([
  [
    'unknown arch',
    () => Model.create({ arch: 'vgg16' as never }),
    'RangeError',
    /arch must be 'resnet18', .* or 'mobilefacenet', got 'vgg16'/,
  ],
  ['unknown device', () => Model.create({ device: 'tpu' }), 'RangeError', /unknown device 'tpu'/],
  ['CUDA without CUDA', () => Model.create({ device: 'cuda:0' }), 'RangeError', /CUDA is not available/],
  ['fp16 on CPU', () => Model.create({ amp: 'fp16' }), 'RangeError', /fp16.*CUDA/],
  ['bad numClasses', () => Model.create({ numClasses: 0 }), 'RangeError', /numClasses must be an integer/],
  [
    'wrong option type',
    () => Model.create({ channelsLast: 'yes' as never }),
    'TypeError',
    /channelsLast must be a boolean/,
  ],
  [
    'std of zero',
    () => Model.create({ normalization: { mean: [0, 0, 0], std: [1, 0, 1] } }),
    'RangeError',
    /std\[1\] must be > 0, got 0/,
  ],
] as const)('%s', async (_name, make, name, message) => {
  const e = await rejection(make());
  expect(e.name).toBe(name);
  expect(e.message).toMatch(message);
});

test.each([
  [
    'wrong buffer length',
    () => model.forward(x.subarray(1), [2, 32, 32, 3]),
    'RangeError',
    /has 6143 elements but shape \[2, 32, 32, 3\] needs 6144/,
  ],
  [
    'wrong dtype',
    () => model.forward(new Int16Array(6144) as never, [2, 32, 32, 3]),
    'TypeError',
    /other dtypes are not accepted/,
  ],
  ['not a typed array', () => model.forward([1, 2, 3] as never, [1, 32, 32, 3]), 'TypeError', /input must be/],
  ['shape of 3 dims', () => model.forward(x, [2, 32, 96]), 'RangeError', /4 dimensions/],
  [
    'NHWC with 4 channels',
    () => model.forward(new Uint8Array(2 * 32 * 32 * 4), [2, 32, 32, 4]),
    'RangeError',
    /shape\[3\] must be 3/,
  ],
  [
    'image smaller than 32',
    () => model.forward(new Uint8Array(2 * 16 * 16 * 3), [2, 16, 16, 3]),
    'RangeError',
    /height and width must be in \[32/,
  ],
  [
    'fractional shape',
    () => model.forward(x, [2, 32.5, 32, 3]),
    'RangeError',
    /shape\[1\] must be an integer in \[1, 1000000\], got 32.5/,
  ],
  ['non-finite lr', () => model.trainStep(x, [2, 32, 32, 3], labels, { lr: NaN }), 'RangeError', /lr must be finite/],
  ['negative lr', () => model.trainStep(x, [2, 32, 32, 3], labels, { lr: -1 }), 'RangeError', /lr must be >= 0/],
  ['missing lr', () => model.trainStep(x, [2, 32, 32, 3], labels, {} as never), 'TypeError', /lr must be given/],
  [
    'label out of range',
    () => model.trainStep(x, [2, 32, 32, 3], new Int32Array([0, 5]), { lr: 0.1 }),
    'RangeError',
    /labels\[1\] = 5 is outside \[0, 5\)/,
  ],
  [
    'labels of the wrong length',
    () => model.trainStep(x, [2, 32, 32, 3], new Int32Array([0]), { lr: 0.1 }),
    'RangeError',
    /labels has 1 entries for a batch of 2/,
  ],
  [
    'labels of the wrong type',
    () => model.trainStep(x, [2, 32, 32, 3], new Float32Array(2) as never, { lr: 0.1 }),
    'TypeError',
    /labels must be an Int32Array/,
  ],
  ['load path not a string', () => model.load(42 as never), 'TypeError', /path must be a string/],
  [
    'metadata not strings',
    () => model.save('/tmp/x.safetensors', { a: 1 } as never),
    'TypeError',
    /metadata\['a'\] must be a string/,
  ],
] as const)('%s', async (_name, call, name, message) => {
  const e = await rejection(call());
  expect(e.name).toBe(name);
  expect(e.message).toMatch(message);
});

/** The error of a call that throws or rejects. */
async function failure(call: () => unknown): Promise<{ name: string; message: string }> {
  return rejection((async () => call())());
}

describe('one rule for every option of every call: wrong type TypeError, bad value RangeError, the key named', () => {
  const engineOptions = { numClasses: 5, momentum: 0.9, weightDecay: 5e-4 };
  const out = new Uint8Array(8 * 8 * 3);
  const spec = {
    data: new Uint8Array(8 * 8 * 3),
    kind: 'raw',
    width: 8,
    height: 8,
    region: [0, 0, 8, 8],
    resized: [8, 8],
    crop: [0, 0],
    flip: false,
    gray: false,
  };
  const step = (options: unknown) => () => model.trainStep(x, [2, 32, 32, 3], labels, options as never);
  const decode = (s: object, options?: unknown) => () =>
    native().decodeBatch([{ ...spec, ...s } as never], out, 8, options as never);
  const create = (options: object) => () => native().createEngine({ ...engineOptions, ...options } as never);

  test.each([
    // createEngine
    ['createEngine numClasses', create({ numClasses: '5' }), 'TypeError', /^numClasses must be a number$/],
    [
      'createEngine numClasses',
      create({ numClasses: 0 }),
      'RangeError',
      /^numClasses must be an integer in \[1, 10000000\], got 0$/,
    ],
    ['createEngine momentum', create({ momentum: '0.9' }), 'TypeError', /^momentum must be a number$/],
    ['createEngine momentum', create({ momentum: -0.5 }), 'RangeError', /^momentum must be >= 0, got -0.5$/],
    [
      'createEngine momentum (required)',
      create({ momentum: undefined }),
      'TypeError',
      /^momentum must be given \(a number\)$/,
    ],
    [
      'createEngine marginScale (required by arcface)',
      create({ loss: 'arcface', margin: 0.5 }),
      'TypeError',
      /^marginScale must be given/,
    ],
    ['createEngine amp', create({ amp: 16 }), 'TypeError', /^amp must be a string$/],
    ['createEngine amp', create({ amp: 'fp8' }), 'RangeError', /^amp must be 'off', 'bf16' or 'fp16', got 'fp8'$/],
    ['createEngine mean', create({ mean: 'grey' }), 'TypeError', /^mean must be an array of 3 numbers \(RGB\)$/],
    [
      'createEngine mean',
      create({ mean: [1, 2] }),
      'RangeError',
      /^mean must be an array of 3 numbers \(RGB\), got 2$/,
    ],
    ['createEngine options', () => native().createEngine(7 as never), 'TypeError', /^options must be an object$/],
    // trainStep
    ['trainStep lossDivisor', step({ lr: 0.1, lossDivisor: '2' }), 'TypeError', /^lossDivisor must be a number$/],
    ['trainStep lossDivisor', step({ lr: 0.1, lossDivisor: 0 }), 'RangeError', /^lossDivisor must be > 0, got 0$/],
    [
      'trainStep labelSmoothing',
      step({ lr: 0.1, labelSmoothing: 1 }),
      'RangeError',
      /^labelSmoothing must be in \[0, 1\), got 1$/,
    ],
    ['trainStep apply', step({ lr: 0.1, apply: 1 }), 'TypeError', /^apply must be a boolean$/],
    ['trainStep options', step(5), 'TypeError', /^options must be an object$/],
    // decodeBatch
    ['decodeBatch threads', decode({}, { threads: '2' }), 'TypeError', /^options\.threads must be a number$/],
    [
      'decodeBatch threads',
      decode({}, { threads: 0 }),
      'RangeError',
      /^options\.threads must be an integer in \[1, 256\], got 0$/,
    ],
    ['decodeBatch size', () => native().decodeBatch([], out, '8' as never), 'TypeError', /size must be a number$/],
    [
      'decodeBatch size',
      () => native().decodeBatch([], out, 0),
      'RangeError',
      /size must be an integer in \[1, 4096\], got 0$/,
    ],
    ['decodeBatch spec width', decode({ width: '8' }), 'TypeError', /^specs\[0\]\.width must be a number$/],
    [
      'decodeBatch spec width',
      decode({ width: 7.5 }),
      'RangeError',
      /^specs\[0\]\.width must be an integer in \[1, 65535\], got 7.5$/,
    ],
    [
      'decodeBatch spec kind',
      decode({ kind: 'png' }),
      'RangeError',
      /^specs\[0\]\.kind must be 'jpeg' or 'raw', got 'png'$/,
    ],
    [
      'decodeBatch spec crop',
      decode({ crop: [0] }),
      'RangeError',
      /^specs\[0\]\.crop must be an array of 2 integers, got 1$/,
    ],
    ['decodeBatch spec flip', decode({ flip: 1 }), 'TypeError', /^specs\[0\]\.flip must be a boolean$/],
    // setThreads, load
    ['setThreads n', () => native().setThreads('2' as never), 'TypeError', /^setThreads\(n\): n must be a number$/],
    [
      'setThreads n',
      () => native().setThreads(0),
      'RangeError',
      /^setThreads\(n\): n must be an integer in \[1, 1024\], got 0$/,
    ],
    [
      'load strict',
      () => model.load('/nonexistent.safetensors', { strict: 'yes' } as never),
      'TypeError',
      /^strict must be a boolean$/,
    ],
  ] as const)('%s (case %#)', async (_name, call, name, message) => {
    const e = await failure(call);
    expect(e.name).toBe(name);
    expect(e.message).toMatch(message);
  });
});

test('the Engine constructor is not callable from JS', () => {
  const { Engine } = native() as unknown as { Engine: new (...a: unknown[]) => unknown };
  expect(() => new Engine()).toThrow(/use createEngine/);
});

test('a disposed model rejects calls with a clear error, and dispose twice is harmless', async () => {
  const m = await Model.create({ numClasses: 2 });
  m.dispose();
  m.dispose();
  expect(m.disposed).toBe(true);
  const e = await rejection(m.forward(x, [2, 32, 32, 3]));
  expect(e.message).toMatch(/disposed/);
  expect(() => m.parameterCount).toThrow(/disposed/);
});

test('dispose during a call in flight: the call still settles', async () => {
  const m = await Model.create({ numClasses: 2 });
  const pending = m.forward(x, [2, 32, 32, 3]);
  m.dispose();
  const out = await pending;
  expect(out.logits.length).toBe(4);
});

test('a training batch of one is refused with a BatchNorm explanation, in one line', async () => {
  const e = await rejection(
    model.trainStep(new Uint8Array(32 * 32 * 3), [1, 32, 32, 3], new Int32Array([0]), { lr: 0.1 }),
  );
  expect(e.message).toMatch(/BatchNorm needs more than 1 sample per batch \(use batchSize >= 2\)/);
  expect(e.message).not.toMatch(/\n/);
});

test('threads: an option of Model.create and setThreads, checked', async () => {
  const { info, setThreads } = await import('../lib');
  const before = info().threads;
  const m = await Model.create({ numClasses: 2, threads: 1 });
  expect(info().threads).toBe(1);
  m.dispose();
  setThreads(before);
  expect(info().threads).toBe(before);
  expect(() => setThreads(0)).toThrow(/integer in \[1, 1024\]/);
  await expect(Model.create({ threads: 1.5 })).rejects.toThrow(/integer in \[1, 1024\]/);
});
