/** Models with non-trivial BatchNorm statistics and onnxruntime-node runs, for the export tests. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Model, type ModelOptions } from '../../lib/model';
import { encodeSafetensors, readSafetensors, type SafetensorsArray } from '../../lib/io/safetensors';
import { writeFileAtomic } from '../../lib/io/atomic-write';
import { mulberry32 } from '../../lib/random';

/**
 * A freshly made model has BatchNorm γ=1, β=0, mean 0, var 1 (folding changes nothing): its file
 * is rewritten with every BatchNorm's statistics and affine terms spread out, then loaded.
 */
export async function modelWithStatistics(options: ModelOptions, file: string, seed = 7): Promise<Model> {
  const model = await Model.create(options);
  try {
    await model.save(file);
  } finally {
    model.dispose();
  }
  const { metadata, tensors } = readSafetensors(file);
  const rand = mulberry32(seed);
  const spread = (t: SafetensorsArray, lo: number, hi: number) =>
    (t.data as Float32Array).forEach((_, i, a) => (a[i] = lo + (hi - lo) * rand()));
  for (const [name, t] of tensors) {
    if (!name.endsWith('.weight') || !tensors.has(name.replace(/\.weight$/, '.running_var'))) continue;
    const prefix = name.slice(0, -'.weight'.length);
    spread(t, 0.6, 1.4);
    spread(tensors.get(`${prefix}.bias`)!, -0.2, 0.2);
    spread(tensors.get(`${prefix}.running_mean`)!, -0.3, 0.3);
    spread(tensors.get(`${prefix}.running_var`)!, 0.5, 2);
  }
  writeFileAtomic(file, encodeSafetensors(Object.fromEntries(tensors), metadata));
  return Model.fromFile(file);
}

/** Seeded uint8 NHWC RGB pixels. */
export function pixels(n: number, size: number, seed = 1): Uint8Array {
  const rand = mulberry32(seed);
  return Uint8Array.from({ length: n * size * size * 3 }, () => Math.floor(rand() * 256));
}

/**
 * The ONNX file run by onnxruntime-node (in a child process: ort-run.js says why) on the same
 * pixels as float32 NHWC; each output's values and dimensions.
 */
export function runOnnx(
  file: string,
  x: Uint8Array,
  shape: number[],
): Record<string, { data: Float32Array; dims: number[] }> {
  const dir = fs.mkdtempSync(`${file}.run-`);
  try {
    const input = path.join(dir, 'input.f32');
    fs.writeFileSync(input, Float32Array.from(x));
    const r = spawnSync(process.execPath, [path.join(__dirname, 'ort-run.js'), file, input, shape.join(','), dir], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`onnxruntime-node failed on ${file}: ${r.stderr}`);
    const dims = JSON.parse(r.stdout) as Record<string, number[]>;
    return Object.fromEntries(
      Object.entries(dims).map(([name, d]) => {
        const bytes = fs.readFileSync(path.join(dir, `${name}.f32`));
        return [name, { data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4), dims: d }];
      }),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export { relativeError } from '../helpers/relative-error';
