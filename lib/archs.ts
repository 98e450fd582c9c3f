/**
 * The networks of the model family (native/models/): torchvision's ResNets, with SE layers in the
 * `senet` ones — ResNet-18/34 are basic-block networks (512-d pooled feature), ResNet-50 a
 * bottleneck network (2048-d) — and MobileFaceNet (512-d GDC feature, then its embedding; 112×112
 * faces only).
 */
export const ARCHS = ['resnet18', 'resnet34', 'resnet50', 'senet18', 'senet34', 'senet50', 'mobilefacenet'] as const;
export type Arch = (typeof ARCHS)[number];

export const isArch = (name: unknown): name is Arch => ARCHS.includes(name as Arch);

/** MobileFaceNet's one input size: its global depthwise conv is 7×7, the last map of a 112 px face. */
export const MOBILEFACENET_INPUT = 112;
/** MobileFaceNet always ends in an embedding; 512-d unless asked otherwise (the paper's is 128). */
export const MOBILEFACENET_EMBEDDING = 512;

/** The pooled feature's size: 2048 for ResNet-50, 512 for ResNet-18/34 and MobileFaceNet's GDC. */
export function featureDim(arch: Arch): number {
  return arch === 'resnet50' || arch === 'senet50' ? 2048 : 512;
}

/** The ResNets' blocks per stage; a stage's inner width unpruned is 64, 128, 256, 512. */
const RESNET_BLOCKS: Record<Exclude<Arch, 'mobilefacenet'>, readonly number[]> = {
  resnet18: [2, 2, 2, 2],
  senet18: [2, 2, 2, 2],
  resnet34: [3, 4, 6, 3],
  senet34: [3, 4, 6, 3],
  resnet50: [3, 4, 6, 3],
  senet50: [3, 4, 6, 3],
};
const STAGE_PLANES = [64, 128, 256, 512];

/** Whether an arch is a bottleneck network (three convs per block: two inner widths, not one). */
export const isBottleneck = (arch: Arch): boolean => arch === 'resnet50' || arch === 'senet50';

/**
 * A ResNet's blocks in order (`layer1.0`, `layer1.1`, ...) with their unpruned inner width and the
 * names of their prunable convolutions: a bottleneck's conv1 and conv2, a basic block's conv1 —
 * the order of ModelOptions.innerWidths. Empty for MobileFaceNet.
 */
export function prunableConvs(arch: Arch): { block: string; conv: string; planes: number }[] {
  if (arch === 'mobilefacenet') return [];
  const out: { block: string; conv: string; planes: number }[] = [];
  RESNET_BLOCKS[arch].forEach((blocks, stage) => {
    for (let b = 0; b < blocks; b++) {
      const block = `layer${stage + 1}.${b}`;
      for (const conv of isBottleneck(arch) ? ['conv1', 'conv2'] : ['conv1'])
        out.push({ block, conv, planes: STAGE_PLANES[stage] });
    }
  });
  return out;
}

/**
 * A pruned ResNet's inner widths, read from its weight shapes (a file stores no other record of
 * them): undefined at full width, for MobileFaceNet, or when a conv is missing (the load says so).
 */
export function innerWidthsFromShapes(arch: Arch, shapes: Record<string, number[]>): number[] | undefined {
  const convs = prunableConvs(arch);
  const widths = convs.map(({ block, conv }) => shapes[`${block}.${conv}.weight`]?.[0]);
  if (!convs.length || widths.some((w) => w === undefined)) return undefined;
  return widths.some((w, i) => w !== convs[i].planes) ? (widths as number[]) : undefined;
}

/**
 * The arch whose parameter names a state dict has: MobileFaceNet has its GDC; in torchvision's
 * ResNets bottlenecks have conv3, and the blocks of layer3 tell ResNet-18 (2) from ResNet-34 (6).
 * Undefined when it is none of them.
 */
export function archFromNames(names: readonly string[]): Arch | undefined {
  const has = (prefix: string) => names.some((n) => n.startsWith(prefix));
  if (has('gdc.')) return 'mobilefacenet';
  if (!has('layer1.0.conv1.')) return undefined;
  const se = names.some((n) => n.includes('.se.fc'));
  let depth: 18 | 34 | 50;
  if (has('layer1.0.conv3.')) depth = 50;
  else depth = has('layer3.2.') ? 34 : 18;
  return `${se ? 'senet' : 'resnet'}${depth}` as Arch;
}
