/** vgg2-torch: face-recognition CNNs (ResNet-50, SE-ResNet-50) on LibTorch, from Node.js. */
// The public types use Node's (Buffer, EventEmitter): declared here and installed with the package
// (@types/node is a dependency), so a strict project without Node types of its own still compiles.
/// <reference types="node" preserve="true" />
export { Model, describeWeights } from './model';
export type { Amp, Arch, ModelDescription, ModelOptions } from './model';
export { info, setThreads } from './info';
export type { Info } from './info';
export { NORMALIZATIONS } from './normalization';
export { RECIPE_DEFAULTS } from './recipe';
export type { Normalization, NormalizationName } from './normalization';
export type { EngineConfig, ForwardOutput, InputData, LoadOutput, StepOptions, StepOutput } from './native';
export * from './train';
export * from './eval';
export * from './data';
export { Gallery, describeGalleryWeights } from './gallery';
export type {
  GalleryOpenOptions,
  GalleryWeights,
  ImageOptions as GalleryImageOptions,
  SearchHit,
  SearchOptions,
  SearchPrecision,
  SearchResult,
} from './gallery';
export { exportOnnx, DEFAULT_OPSET, OPSET_RANGE } from './export';
export * from './prune';
export type { OnnxExportOptions, OnnxExportResult } from './export';
export { createService } from './serve/server';
export type { Service, ServiceOptions } from './serve/server';
export { ProcessGroup } from './dist/group';
export { distributedFromEnv } from './dist/options';
export type { DistributedOptions } from './dist/options';
export { launch, watchLauncher } from './dist/launcher';
export type { LaunchOptions, LaunchResult } from './dist/launcher';
