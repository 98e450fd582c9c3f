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
  ['unknown arch', () => Model.create({ arch: 'vgg16' as never }), 'RangeError', /unknown arch 'vgg16'/],
  ['unknown device', () => Model.create({ device: 'tpu' }), 'RangeError', /unknown device 'tpu'/],
  ['CUDA without CUDA', () => Model.create({ device: 'cuda:0' }), 'RangeError', /CUDA is not available/],
  ['fp16 on CPU', () => Model.create({ amp: 'fp16' }), 'RangeError', /fp16.*CUDA/],
  ['bad numClasses', () => Model.create({ numClasses: 0 }), 'RangeError', /numClasses must be an integer/],
  ['wrong option type', () => Model.create({ channelsLast: 'yes' as never }), 'TypeError', /channelsLast must be a boolean/],
  ['std of zero', () => Model.create({ normalization: { mean: [0, 0, 0], std: [1, 0, 1] } }), 'RangeError', /std values must be finite and > 0/],
] as const)('%s', async (_name, make, name, message) => {
  const e = await rejection(make());
  expect(e.name).toBe(name);
  expect(e.message).toMatch(message);
});

test.each([
  ['wrong buffer length', () => model.forward(x.subarray(1), [2, 32, 32, 3]), 'RangeError', /has 6143 elements but shape \[2, 32, 32, 3\] needs 6144/],
  ['wrong dtype', () => model.forward(new Int16Array(6144) as never, [2, 32, 32, 3]), 'TypeError', /other dtypes are not accepted/],
  ['not a typed array', () => model.forward([1, 2, 3] as never, [1, 32, 32, 3]), 'TypeError', /input must be/],
  ['shape of 3 dims', () => model.forward(x, [2, 32, 96]), 'RangeError', /4 dimensions/],
  ['NHWC with 4 channels', () => model.forward(new Uint8Array(2 * 32 * 32 * 4), [2, 32, 32, 4]), 'RangeError', /shape\[3\] must be 3/],
  ['image smaller than 32', () => model.forward(new Uint8Array(2 * 16 * 16 * 3), [2, 16, 16, 3]), 'RangeError', /height and width must be in \[32/],
  ['fractional shape', () => model.forward(x, [2, 32.5, 32, 3]), 'RangeError', /positive integer/],
  ['non-finite lr', () => model.trainStep(x, [2, 32, 32, 3], labels, { lr: NaN }), 'RangeError', /lr must be finite/],
  ['negative lr', () => model.trainStep(x, [2, 32, 32, 3], labels, { lr: -1 }), 'RangeError', /lr must be >= 0/],
  ['missing lr', () => model.trainStep(x, [2, 32, 32, 3], labels, {} as never), 'TypeError', /lr must be given/],
  ['label out of range', () => model.trainStep(x, [2, 32, 32, 3], new Int32Array([0, 5]), { lr: 0.1 }), 'RangeError', /labels\[1\] = 5 is outside \[0, 5\)/],
  ['labels of the wrong length', () => model.trainStep(x, [2, 32, 32, 3], new Int32Array([0]), { lr: 0.1 }), 'RangeError', /labels has 1 entries for a batch of 2/],
  ['labels of the wrong type', () => model.trainStep(x, [2, 32, 32, 3], new Float32Array(2) as never, { lr: 0.1 }), 'TypeError', /labels must be an Int32Array/],
  ['load path not a string', () => model.load(42 as never), 'TypeError', /path must be a string/],
  ['metadata not strings', () => model.save('/tmp/x.safetensors', { a: 1 } as never), 'TypeError', /metadata\['a'\] must be a string/],
] as const)('%s', async (_name, call, name, message) => {
  const e = await rejection(call());
  expect(e.name).toBe(name);
  expect(e.message).toMatch(message);
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

test('a native error (a training batch of one with BatchNorm) becomes a one-line Error', async () => {
  const e = await rejection(model.trainStep(new Uint8Array(32 * 32 * 3), [1, 32, 32, 3], new Int32Array([0]), { lr: 0.1 }));
  expect(e.message).toMatch(/Expected more than 1 value per channel/);
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
