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

const NAME = /^ckpt-(\d{1,15})\.safetensors$/;
/** The largest step a checkpoint may have (names are padded to 9 digits; more is a made-up name). */
export const MAX_STEP = 999_999_999;
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
  return (
    names
      .map((n) => NAME.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ file: path.join(dir, m[0]), step: Number(m[1]) }))
      // An absurd step or a folder that merely has a checkpoint's name is no checkpoint.
      .filter((c) => c.step <= MAX_STEP && fs.statSync(c.file, { throwIfNoEntry: false })?.isFile() === true)
      .sort((a, b) => b.step - a.step)
  );
}

/** Entries named like checkpoints that are not files (a folder): the checkpoint of that step could never be written. */
export function checkpointNameClashes(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => NAME.test(n))
    .map((n) => path.join(dir, n))
    .filter((f) => fs.statSync(f, { throwIfNoEntry: false })?.isFile() === false);
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
export type FaultPoint =
  'before-write' | 'during-write' | 'after-write' | 'before-rename' | 'after-rename' | 'final-save';

/** final-save: the final model.safetensors write fails as on a full disk (ENOSPC), without killing. */
export function fault(point: FaultPoint, step: number, partial?: string): void {
  if (process.env.VGG2_CHECKPOINT_FAULT !== point) return;
  const at = process.env.VGG2_CHECKPOINT_FAULT_STEP;
  if (at !== undefined && Number(at) !== step) return;
  if (point === 'final-save')
    throw Object.assign(new Error(`ENOSPC: no space left on device (injected by VGG2_CHECKPOINT_FAULT)`), {
      code: 'ENOSPC',
    });
  if (point === 'during-write' && partial) fs.truncateSync(partial, Math.floor(fs.statSync(partial).size / 2));
  process.kill(process.pid, 'SIGKILL');
}

/** Writes checkpoints/ckpt-<step>.safetensors atomically; returns its path. */
export async function writeCheckpoint(model: Model, dir: string, state: TrainerCheckpointState): Promise<string> {
  const file = path.join(dir, checkpointName(state.step));
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory())
    throw new Error(`${file} is a directory, not a checkpoint: move it out of ${dir}`);
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
  let state: TrainerCheckpointState;
  try {
    state = JSON.parse(text) as TrainerCheckpointState;
  } catch (e) {
    throw new Error(`${file}: trainer state is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (state?.version !== 1) throw new Error(`${file}: trainer state version ${state?.version}, expected 1`);
  if (!Number.isSafeInteger(state.step) || state.step < 0 || state.step > MAX_STEP)
    throw new Error(`${file}: step ${JSON.stringify(state.step)} is not a step count (0 to ${MAX_STEP})`);
  // JSON writes NaN as null: a state saved after the loss diverged has a non-number loss somewhere.
  const losses = [state.sums?.window?.loss, state.sums?.epoch?.loss, ...(state.metrics ?? []).map((r) => r.loss)];
  if (losses.some((l) => !Number.isFinite(l)))
    throw new Error(
      `${file}: saved after the loss became NaN or infinite (diverged); resume from an earlier checkpoint or start again with a lower lr`,
    );
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
  checkCheckpointFile(file);
  const metadata = await model.loadCheckpoint(file);
  return parseState(metadata, file);
}

/** A checkpoint is a .safetensors file written by the Trainer: say so for anything else before parsing it. */
function checkCheckpointFile(file: string): void {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) throw new Error(`${file}: no such checkpoint`);
  if (!stat.isFile()) throw new Error(`${file}: not a checkpoint (not a regular file)`);
  if (!file.endsWith('.safetensors'))
    throw new Error(
      `${file}: not a checkpoint (checkpoints are checkpoints/ckpt-<step>.safetensors written by train); to start from weights use --init`,
    );
}

/** The trainer state of a checkpoint file without loading its tensors (reads the header only). */
export function peekState(file: string): TrainerCheckpointState {
  checkCheckpointFile(file);
  return parseState(readSafetensorsHeader(file).__metadata__ ?? {}, file);
}
