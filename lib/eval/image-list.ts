/**
 * A dataset over an explicit list of image files (pairs, CFP, `embed --images`), so that they go
 * through the Loader.
 */
import * as path from 'path';
import type { Box, Dataset, SampleSource } from '../data/types';

export class ImageListDataset implements Dataset {
  readonly kind = 'folder';
  readonly description: string;
  readonly classes: readonly string[];
  readonly labels: Int32Array;
  readonly size: number;
  private readonly paths: string[];

  /** `labels` index `classes`; without them every image is of one unnamed class. `boxes[i]`: face box of image i. */
  constructor(
    paths: string[],
    what: string,
    labels?: ArrayLike<number>,
    classes?: readonly string[],
    private readonly boxes?: (Box | undefined)[],
  ) {
    if (paths.length === 0) throw new Error(`${what}: no images`);
    this.paths = paths.map((p) => path.resolve(p));
    this.size = paths.length;
    this.labels = labels ? Int32Array.from(labels) : new Int32Array(paths.length);
    this.classes = classes ?? ['-'];
    this.description = `${what}: ${this.size} images`;
  }

  relPath(i: number): string {
    return this.paths[i];
  }

  source(i: number): SampleSource {
    return { path: this.paths[i], label: this.labels[i], box: this.boxes?.[i] };
  }
}
