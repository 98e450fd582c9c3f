/**
 * exportOnnx's options and result, and the opsets it writes: light, so that the CLI and the
 * package index load the ONNX schema (onnx-proto, ~30 ms) only when something is exported.
 */
import type { TensorSpec } from './graph';

/** Opsets written: 11 (the oldest TensorRT and most runtimes take) to 21; every op used means the same in all. */
export const OPSET_RANGE: readonly [number, number] = [11, 21];
export const DEFAULT_OPSET = 17;

export interface OnnxExportOptions {
  /** The .onnx file to write (atomically: whole or not at all). */
  out: string;
  /** A named batch dimension ('batch') instead of a fixed batch of `batchSize`. */
  dynamicBatch?: boolean;
  /** The fixed batch size without dynamicBatch (default 1). */
  batchSize?: number;
  /** ONNX opset (default 17). */
  opset?: number;
}

export interface OnnxExportResult {
  out: string;
  bytes: number;
  opset: number;
  input: TensorSpec;
  outputs: TensorSpec[];
  nodes: number;
  /** BatchNorm layers folded into the conv or Linear before them. */
  foldedBatchNorms: number;
  /** Op types and how many of each. */
  ops: Record<string, number>;
}
