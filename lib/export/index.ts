/** Model export to other runtimes: ONNX (docs/export.md). */
import type { Model } from '../model';
import type { OnnxExportOptions, OnnxExportResult } from './options';

export { DEFAULT_OPSET, OPSET_RANGE } from './options';
export type { OnnxExportOptions, OnnxExportResult } from './options';

/**
 * Writes `source` (a Model, or a weights file any command loads) as ONNX (./onnx.ts, loaded on
 * first use: the ONNX schema costs every start of the CLI otherwise).
 */
export async function exportOnnx(source: string | Model, options: OnnxExportOptions): Promise<OnnxExportResult> {
  return (await import('./onnx')).exportOnnx(source, options);
}
