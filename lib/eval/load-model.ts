/** Loads a weights file for evaluation: arch and classes from its metadata, or `arch` for files without it. */
import { describeWeights, Model, type Arch } from '../model';

export interface LoadedModel {
  model: Model;
  /** The file's metadata (e.g. `verify_threshold`). */
  metadata: Record<string, string>;
}

export async function loadForEval(
  weights: string,
  opts: { arch?: Arch; device?: string; inputSize?: number } = {},
): Promise<LoadedModel> {
  const described = await describeWeights(weights);
  const model = await Model.create({
    ...described,
    ...(opts.arch ? { arch: opts.arch } : {}),
    device: opts.device,
    inputSize: opts.inputSize ?? described.inputSize,
  });
  try {
    const { metadata } = await model.load(weights);
    return { model, metadata };
  } catch (err) {
    model.dispose();
    const hint = opts.arch ? '' : ' (for a file without metadata, name its --arch)';
    throw new Error(`${weights}: ${(err as Error).message}${hint}`, { cause: err });
  }
}
