/**
 * Checkpoints: one safetensors file each (model state + SGD momentum buffers, trainer state as
 * JSON metadata), named checkpoints/ckpt-<step>.safetensors. Writing goes through a temporary
 * ".ckpt-….partial" (a dot name no reader takes for a checkpoint), fsync, rename, fsync of the
 * folder: a write killed at any moment leaves the previous checkpoints intact and loadable.
 * best.safetensors is a hard link to the best one; the last `keep` are kept.
 */
import * as fs from 'fs';
import * as path from 'path';
import { fsyncPath } from '../io/atomic-write';
import { readSafetensorsHeader } from '../io/safetensors';
import type { Model } from '../model';
import type { Position } from '../data/sampler';
import type { TrainConfig } from './config';
import type { MetricRecord } from './run-folder';
import type { PlateauState } from './schedule';

/** Everything besides tensors that an exact resume needs. */
export interface TrainerCheckpointState {
  version: 1;
  /** Optimizer steps done. */
  step: number;
  /** The loader's next batch. */
  position: Position;
  /** Training seconds so far. */
  seconds: number;
  plateau: PlateauState;
  best: { val_top1: number; step: number } | null;
  /** The run is complete (the final checkpoint). */
  done: boolean;
  /** The data order and augmentation are functions of (seed, epoch, index): this seed is all the RNG state there is. */
  seed: number;
  /** Loss / accuracy sums of the current log window and epoch. */
  sums: {
    window: { loss: number; top1: number; images: number; steps: number };
    epoch: { loss: number; steps: number; images: number };
  };
  config: TrainConfig;
  metrics: MetricRecord[];
}

const NAME = /^ckpt-(\d+)\.safetensors$/;
export const BEST = 'best.safetensors';
const STATE_KEY = 'trainer_state';

export function checkpointName(step: number): string {
  return `ckpt-${String(step).padStart(9, '0')}.safetensors`;
}

/** Checkpoint files in a folder, newest (highest step) first. Temporary files never match. */
export function listCheckpoints(dir: string): { file: string; step: number }[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => NAME.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ file: path.join(dir, m[0]), step: Number(m[1]) }))
    .sort((a, b) => b.step - a.step);
}

/** Removes temporary files that an interrupted write left behind. */
export function removeStaleTemporaries(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => n.startsWith('.') && (n.includes('.partial') || n.includes('.tmp-')));
  for (const n of stale) fs.rmSync(path.join(dir, n), { force: true });
  return stale;
}

/**
 * Test hook for the atomicity tests: VGG2_CHECKPOINT_FAULT=<point> (before-write, during-write,
 * after-write, before-rename, after-rename) kills this process with SIGKILL at that point of the
 * checkpoint written at step VGG2_CHECKPOINT_FAULT_STEP (any step when unset). during-write
 * leaves a torn temporary file first, as a kill in the middle of the data write does.
 */
export type FaultPoint = 'before-write' | 'during-write' | 'after-write' | 'before-rename' | 'after-rename';

function fault(point: FaultPoint, step: number, partial?: string): void {
  if (process.env.VGG2_CHECKPOINT_FAULT !== point) return;
  const at = process.env.VGG2_CHECKPOINT_FAULT_STEP;
  if (at !== undefined && Number(at) !== step) return;
  if (point === 'during-write' && partial) fs.truncateSync(partial, Math.floor(fs.statSync(partial).size / 2));
  process.kill(process.pid, 'SIGKILL');
}

/** Writes checkpoints/ckpt-<step>.safetensors atomically; returns its path. */
export async function writeCheckpoint(model: Model, dir: string, state: TrainerCheckpointState): Promise<string> {
  const file = path.join(dir, checkpointName(state.step));
  const partial = path.join(dir, `.${checkpointName(state.step)}.partial`);
  fault('before-write', state.step);
  await model.saveCheckpoint(partial, { [STATE_KEY]: JSON.stringify(state) });
  fault('during-write', state.step, partial);
  fault('after-write', state.step);
  fsyncPath(partial);
  fault('before-rename', state.step);
  fs.renameSync(partial, file);
  fsyncPath(dir);
  fault('after-rename', state.step);
  return file;
}

/** Makes best.safetensors another name of `file` (link to a temp name, then rename over). */
export function markBest(dir: string, file: string): void {
  const tmp = path.join(dir, `.${BEST}.partial`);
  fs.rmSync(tmp, { force: true });
  fs.linkSync(file, tmp);
  fs.renameSync(tmp, path.join(dir, BEST));
  fsyncPath(dir);
}

/** Keeps the newest `keep` checkpoints (best.safetensors is a separate link and survives). */
export function pruneCheckpoints(dir: string, keep: number): void {
  for (const { file } of listCheckpoints(dir).slice(keep)) fs.rmSync(file, { force: true });
}

/** Reads the trainer state from a checkpoint's metadata. */
export function parseState(metadata: Record<string, string>, file: string): TrainerCheckpointState {
  const text = metadata[STATE_KEY];
  if (!text) throw new Error(`${file}: no trainer state in this checkpoint`);
  const state = JSON.parse(text) as TrainerCheckpointState;
  if (state.version !== 1) throw new Error(`${file}: trainer state version ${state.version}, expected 1`);
  return state;
}

/**
 * Loads the newest checkpoint of `dir` that loads (model, optimizer and state); bad ones are
 * reported through `warn` and skipped. Undefined when none is usable.
 */
export async function loadNewestCheckpoint(
  model: Model,
  dir: string,
  warn: (message: string) => void,
): Promise<{ file: string; state: TrainerCheckpointState } | undefined> {
  for (const { file } of listCheckpoints(dir)) {
    try {
      return { file, state: await loadCheckpointFile(model, file) };
    } catch (e) {
      warn(`skipping checkpoint ${file}: ${(e as Error).message}`);
    }
  }
  return undefined;
}

export async function loadCheckpointFile(model: Model, file: string): Promise<TrainerCheckpointState> {
  const metadata = await model.loadCheckpoint(file);
  return parseState(metadata, file);
}

/** The trainer state of a checkpoint file without loading its tensors (reads the header only). */
export function peekState(file: string): TrainerCheckpointState {
  return parseState(readSafetensorsHeader(file).__metadata__ ?? {}, file);
}
