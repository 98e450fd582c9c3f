/**
 * A model's tensors in TypeScript, by name, through a temporary safetensors file (models are read
 * and written natively): for code that walks or rewrites weights (the ONNX exporter, pruning).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Model } from '../model';
import { encodeSafetensors, readSafetensors, type SafetensorsArray } from './safetensors';

export type Tensors = Map<string, SafetensorsArray>;

async function inTempDir<T>(work: (file: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vgg2-tensors-'));
  try {
    return await work(path.join(dir, 'model.safetensors'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The model's parameters and buffers as it saves them. */
export function modelTensors(model: Model): Promise<Tensors> {
  return inTempDir(async (file) => {
    await model.save(file);
    return readSafetensors(file).tensors;
  });
}

/** Loads `tensors` into `model`, strictly: every name and shape must be the model's. */
export function loadTensors(model: Model, tensors: Tensors): Promise<void> {
  return inTempDir(async (file) => {
    const fd = fs.openSync(file, 'w');
    try {
      for (const chunk of encodeSafetensors(Object.fromEntries(tensors))) fs.writeSync(fd, chunk);
    } finally {
      fs.closeSync(fd);
    }
    await model.load(file);
  });
}
