/**
 * The training recipe's defaults for the optimizer and the margin losses, written once: Model.create
 * and the training config (lib/train/config.ts) fill them in, the native addon requires them given,
 * and a run's config.json records the values used.
 */
import type { LossType } from './native';

export const RECIPE_DEFAULTS = {
  /** SGD (the tutorial's). */
  momentum: 0.9,
  weightDecay: 5e-4,
  /** s of the margin losses. */
  marginScale: 64,
  /** m per loss: radians for ArcFace, cosine units for CosFace (their papers' values); none for softmax. */
  margin: { softmax: 0, arcface: 0.5, cosface: 0.35 } satisfies Record<LossType, number>,
} as const;
