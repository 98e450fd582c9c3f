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
