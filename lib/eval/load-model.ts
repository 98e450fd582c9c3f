/** Loads a weights file for evaluation: arch and classes from its metadata, or `arch` for files without it. */
import { checkInputFile } from '../io/input-file';
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
  // A FIFO would block the native reader forever, a directory gives an obscure message; no size
  // cap here: the native reader checks the declared sizes against the file.
  checkInputFile(weights, 'weights file', Number.MAX_SAFE_INTEGER);
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
