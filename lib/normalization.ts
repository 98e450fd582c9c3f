/** Input normalisation presets, in 0..255 units: x' = (x - mean) / std per RGB channel. */
export interface Normalization {
  mean: [number, number, number];
  std: [number, number, number];
}

export const NORMALIZATIONS = {
  /** The tutorial's and train_reference.py's: (x - 127.5) / 128. */
  tutorial: { mean: [127.5, 127.5, 127.5], std: [128, 128, 128] },
  /** The VGGFace2 models subtract the training set's RGB mean only. */
  vggface2: { mean: [131.0912, 103.8827, 91.4953], std: [1, 1, 1] },
} satisfies Record<string, Normalization>;

export type NormalizationName = keyof typeof NORMALIZATIONS;

export function resolveNormalization(n: NormalizationName | Normalization | undefined): Normalization {
  if (n === undefined) return NORMALIZATIONS.tutorial as Normalization;
  if (typeof n === 'string') {
    const preset = (NORMALIZATIONS as Record<string, Normalization>)[n];
    if (!preset)
      throw new RangeError(
        `unknown normalization '${n}' (expected ${Object.keys(NORMALIZATIONS).join(', ')} or { mean, std })`,
      );
    return preset;
  }
  return n;
}
