/** Augmentation parameters, drawn reproducibly per (seed, epoch, sample index). */
import { Rng } from './rng';

export interface AugmentOptions {
  /** Horizontal flip with p = 0.5 (default true). */
  flip?: boolean;
  /** Random crop position (default true); false crops the centre. */
  randomCrop?: boolean;
  /** Probability of a grayscale image (default 0.2, the paper's). */
  grayProb?: number;
  /** Colour jitter strengths: factors drawn from [1 − s, 1 + s] (off by default). */
  brightness?: number;
  contrast?: number;
  saturation?: number;
  /** Random scale range, e.g. [0.9, 1.1] (off by default). */
  scale?: [number, number];
  /** Random rotation in ± degrees (off by default). */
  rotate?: number;
}

/** Defaults = train_reference.py: flip, random crop, gray p = 0.2. */
export const TRAIN_AUGMENT: Required<Pick<AugmentOptions, 'flip' | 'randomCrop' | 'grayProb'>> = {
  flip: true,
  randomCrop: true,
  grayProb: 0.2,
};

/** Everything random about one sample's transform. */
export interface AugmentParams {
  /** Crop position as fractions in [0, 1) of the free range; undefined = centre crop. */
  crop?: [number, number];
  flip: boolean;
  gray: boolean;
  /** Multiplicative factors, 1 = unchanged. */
  brightness: number;
  contrast: number;
  saturation: number;
  scale: number;
  /** Degrees, counter-clockwise. */
  angle: number;
}

/** Whether `opts` leaves every image as it is, every epoch (nothing random is on). */
export function augmentIsOff(opts: AugmentOptions): boolean {
  return (
    !(opts.flip ?? TRAIN_AUGMENT.flip) &&
    !(opts.randomCrop ?? TRAIN_AUGMENT.randomCrop) &&
    !(opts.grayProb ?? TRAIN_AUGMENT.grayProb) &&
    !opts.brightness &&
    !opts.contrast &&
    !opts.saturation &&
    !(opts.scale && (opts.scale[0] !== 1 || opts.scale[1] !== 1)) &&
    !opts.rotate
  );
}

export const IDENTITY_AUGMENT: AugmentParams = {
  flip: false,
  gray: false,
  brightness: 1,
  contrast: 1,
  saturation: 1,
  scale: 1,
  angle: 0,
};

/**
 * Parameters for sample `index` in `epoch`. Each quantity always consumes the same number of
 * draws so that enabling one option does not change the others.
 */
export function augmentParams(opts: AugmentOptions, seed: number, epoch: number, index: number): AugmentParams {
  const r = new Rng(seed, epoch, index);
  const u = [r.next(), r.next(), r.next(), r.next(), r.next(), r.next(), r.next(), r.next(), r.next()];
  const jitter = (s: number | undefined, x: number) => (s ? 1 - s + 2 * s * x : 1);
  const flip = opts.flip ?? TRAIN_AUGMENT.flip;
  return {
    crop: (opts.randomCrop ?? TRAIN_AUGMENT.randomCrop) ? [u[0], u[1]] : undefined,
    flip: flip && u[2] < 0.5,
    gray: u[3] < (opts.grayProb ?? TRAIN_AUGMENT.grayProb),
    brightness: jitter(opts.brightness, u[4]),
    contrast: jitter(opts.contrast, u[5]),
    saturation: jitter(opts.saturation, u[6]),
    scale: opts.scale ? opts.scale[0] + (opts.scale[1] - opts.scale[0]) * u[7] : 1,
    angle: opts.rotate ? (2 * u[8] - 1) * opts.rotate : 0,
  };
}
