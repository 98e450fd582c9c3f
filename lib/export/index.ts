/** Model export to other runtimes: ONNX (docs/export.md). */
export { exportOnnx, DEFAULT_OPSET, OPSET_RANGE } from './onnx';
export type { OnnxExportOptions, OnnxExportResult } from './onnx';
