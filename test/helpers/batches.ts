import { mulberry32 } from '../../lib/random';

/** A fixed uint8 NHWC batch whose classes are learnable: each class has its own colour cast. */
export function colourBatch(
  n: number,
  size: number,
  classes: number,
  seed = 1,
): { x: Uint8Array; labels: Int32Array; shape: number[] } {
  const rand = mulberry32(seed);
  const x = new Uint8Array(n * size * size * 3);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % classes;
    const base = [(labels[i] * 97) % 256, (labels[i] * 53 + 80) % 256, (labels[i] * 191 + 30) % 256];
    for (let p = 0; p < size * size; p++) {
      for (let c = 0; c < 3; c++)
        x[(i * size * size + p) * 3 + c] = Math.max(0, Math.min(255, base[c] + Math.floor((rand() - 0.5) * 60)));
    }
  }
  return { x, labels, shape: [n, size, size, 3] };
}
