/**
 * Structured channel pruning of the ResNets: every block's inner convolutions (a bottleneck's conv1
 * and conv2, a basic block's conv1) lose the same fraction of their output channels, the least
 * important by BatchNorm scale or filter L1 norm. The result is a dense, smaller network — the
 * conv, its BatchNorm and the next conv's input cut to the kept channels — whose widths are its
 * weight shapes (ModelOptions.innerWidths), so it saves, loads, fine-tunes, quantizes and exports
 * like any model. A block's output (the residual stream) keeps its width.
 */
import { prunableConvs, type Arch } from '../archs';
import { loadTensors, modelTensors, type Tensors } from '../io/model-tensors';
import { Model } from '../model';
import { channelScores, keptChannels, PRUNE_CRITERIA, selectChannels, type PruneCriterion } from './channels';

export interface PruneOptions {
  /** The fraction of each prunable conv's output channels removed, in (0, 1). */
  ratio: number;
  /** How channels are ranked (default bn). */
  criterion?: PruneCriterion;
  /** Keep a multiple of this many channels in every conv (e.g. 8 for SIMD-friendly widths; default 1). */
  multiple?: number;
}

export interface PrunedConv {
  /** The conv's name (`layer2.0.conv1`). */
  name: string;
  from: number;
  to: number;
}

export interface PruneResult {
  /** The pruned network, on the CPU (the source model is left as it was). */
  model: Model;
  criterion: PruneCriterion;
  ratio: number;
  parametersBefore: number;
  parametersAfter: number;
  convs: PrunedConv[];
}

/** Checks the options a user gives, with errors that name them; returns them completed. */
export function checkPruneOptions(o: PruneOptions): Required<PruneOptions> {
  const ratio = o?.ratio;
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio < 1))
    throw new RangeError(`prune: ratio must be a number in (0, 1) (the fraction of channels removed), got ${ratio}`);
  const criterion = o.criterion ?? 'bn';
  if (!PRUNE_CRITERIA.includes(criterion))
    throw new RangeError(`prune: criterion must be ${PRUNE_CRITERIA.join(' or ')}, got '${String(criterion)}'`);
  const multiple = o.multiple ?? 1;
  if (!Number.isInteger(multiple) || multiple < 1 || multiple > 64)
    throw new RangeError(`prune: multiple must be an integer from 1 to 64, got ${multiple}`);
  return { ratio, criterion, multiple };
}

/** How many of `width` channels stay: the rest after `ratio`, rounded up to `multiple`, at least one. */
export function keptWidth(width: number, ratio: number, multiple: number): number {
  const kept = Math.max(1, Math.round(width * (1 - ratio)));
  return Math.min(width, Math.ceil(kept / multiple) * multiple);
}

function f32(tensors: Tensors, name: string) {
  const t = tensors.get(name);
  if (!t) throw new Error(`prune: the model has no tensor '${name}'`);
  if (t.dtype !== 'F32') throw new Error(`prune: tensor '${name}' is ${t.dtype}, not F32`);
  return t as typeof t & { data: Float32Array };
}

/**
 * The tensors of `arch` with every prunable conv cut to its kept channels, and the new inner
 * widths (prunableConvs' order). `tensors` is left as it was.
 */
export function pruneTensors(
  arch: Arch,
  tensors: Tensors,
  options: PruneOptions,
): { tensors: Tensors; innerWidths: number[]; convs: PrunedConv[] } {
  const { ratio, criterion, multiple } = checkPruneOptions(options);
  const out: Tensors = new Map(tensors);
  const convs: PrunedConv[] = [];
  for (const { block, conv } of prunableConvs(arch)) {
    const n = conv === 'conv1' ? 1 : 2;
    const [name, bn] = [`${block}.${conv}`, `${block}.bn${n}`];
    // The conv that reads this one's channels: the block's next.
    const next = `${block}.conv${n + 1}`;
    const weight = f32(out, `${name}.weight`);
    const from = weight.shape[0];
    const keep = keptChannels(
      channelScores(criterion, weight.data, from, f32(out, `${bn}.weight`).data),
      keptWidth(from, ratio, multiple),
    );
    out.set(`${name}.weight`, selectChannels(weight, 0, keep));
    for (const p of ['weight', 'bias', 'running_mean', 'running_var'])
      out.set(`${bn}.${p}`, selectChannels(f32(out, `${bn}.${p}`), 0, keep));
    out.set(`${next}.weight`, selectChannels(f32(out, `${next}.weight`), 1, keep));
    convs.push({ name, from, to: keep.length });
  }
  return { tensors: out, innerWidths: convs.map((c) => c.to), convs };
}

/**
 * A smaller dense copy of `model` (a trainable ResNet) with `ratio` of every block's inner channels
 * removed; fine-tune it (Trainer `init`) to recover the accuracy lost.
 */
export async function pruneModel(model: Model, options: PruneOptions): Promise<PruneResult> {
  const checked = checkPruneOptions(options);
  const d = model.describe();
  if (d.inference) throw new Error(`prune: this model is ${d.inference} (made by quantize): prune the fp32 model`);
  if (d.arch === 'mobilefacenet')
    throw new Error(`prune: channel pruning exists for the ResNets (resnet18/34/50, senet18/34/50), not mobilefacenet`);
  const pruned = pruneTensors(d.arch, await modelTensors(model), checked);
  const { inference: _inference, quantization: _quantization, ...description } = d;
  const out = await Model.create({ ...description, innerWidths: pruned.innerWidths, device: 'cpu' });
  try {
    await loadTensors(out, pruned.tensors);
  } catch (err) {
    out.dispose();
    throw err;
  }
  return {
    model: out,
    criterion: checked.criterion,
    ratio: checked.ratio,
    parametersBefore: model.parameterCount,
    parametersAfter: out.parameterCount,
    convs: pruned.convs,
  };
}
