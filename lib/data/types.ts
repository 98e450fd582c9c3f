/** Shared data-pipeline types: what datasets expose and what leaves the pipeline. */

/** One batch as handed to the native core: uint8 RGB NHWC, normalised on the device. */
export interface Batch {
  /** n*size*size*3 bytes of uint8 RGB, NHWC; owned by the loader until released. */
  data: Buffer;
  labels: Int32Array;
  n: number;
  size: number;
  /** Dataset sample indices of the n images, for debugging and evaluation. */
  indices: number[];
}

/** Axis-aligned face box in image pixels (top-left corner, width, height). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Five facial points (left eye, right eye, nose, left mouth corner, right mouth corner), as [x, y] pairs. */
export type Landmarks = Float32Array | number[];

/** How a face is cut out of its image. */
export type CropMode = 'loose' | 'align' | 'none';

/** A source image to decode, with its optional annotations. */
export interface SampleSource {
  /** Absolute path of the image file. */
  path: string;
  label: number;
  box?: Box;
  landmarks?: Landmarks;
}

/** Decoded, cropped/aligned RGB pixels before augmentation (what the cache stores). */
export interface BaseImage {
  data: Buffer;
  width: number;
  height: number;
}

/** Index over a dataset's images: compact, random access, labels in [0, classes.length). */
export interface Dataset {
  readonly kind: 'vggface2' | 'folder' | 'cache';
  /** Human-readable description of what was loaded, e.g. for the CLI to print. */
  readonly description: string;
  /** Class names (identity ids) in label order. */
  readonly classes: readonly string[];
  readonly size: number;
  /** Labels of all samples, label[i] for sample i. */
  readonly labels: Int32Array;
  /** Path of sample i relative to the images root (as listed). */
  relPath(i: number): string;
  /** Everything needed to decode sample i (absolute path, label, box/landmarks when known). */
  source(i: number): SampleSource;
}
