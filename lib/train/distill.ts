/**
 * Knowledge distillation (the tutorial's first way to make a face model cheap): a trained teacher,
 * run in eval mode (bf16 where the CPU has it) on each batch the student trains on — or, when
 * augmentation is off, once per image and then from its cache (teacher-cache.ts) — gives the
 * targets of the student's step — its embedding, and its logits when they are asked for. The
 * losses themselves are native (native/losses/distill_loss.h); a student whose embedding size
 * differs from the teacher's learns a projection onto it ("distill", saved with the student).
 */
import { featureDim, MOBILEFACENET_EMBEDDING } from '../archs';
import { info } from '../info';
import { Model, describeWeights, type ModelDescription } from '../model';
import type { DistillStepOptions } from '../native';
import { ConfigError, type TrainConfig } from './config';
import { TeacherCache } from './teacher-cache';

/** The size of what a model embeds a face as: its embedding layer's, else its pooled feature's. */
export function outputDim(d: Pick<ModelDescription, 'arch' | 'embeddingDim'>): number {
  if (d.arch === 'mobilefacenet') return d.embeddingDim || MOBILEFACENET_EMBEDDING;
  return d.embeddingDim > 0 ? d.embeddingDim : featureDim(d.arch);
}

export class Teacher {
  private constructor(
    readonly model: Model,
    readonly dim: number,
    private readonly options: Omit<DistillStepOptions, 'embedding' | 'logits'>,
    private readonly withLogits: boolean,
    /** Set when every epoch shows the teacher the same pixels of an image. */
    readonly cache?: TeacherCache,
  ) {}

  /**
   * Opens c.teacher for a student of `classes` classes trained at `size` px. ConfigError for a
   * teacher that cannot guide it (not a model, logits of other classes, an input it cannot take).
   */
  static async open(
    c: TrainConfig,
    classes: number,
    size: number,
    log: (m: string) => void,
    options: { cache?: boolean } = {},
  ): Promise<Teacher> {
    const file = c.teacher!;
    let described: Partial<ModelDescription>;
    try {
      described = await describeWeights(file);
    } catch (e) {
      throw new ConfigError(`teacher ${file}: ${(e as Error).message}`);
    }
    const withLogits = c.logitWeight > 0;
    if (withLogits && described.numClasses !== classes)
      throw new ConfigError(
        `--logit-weight needs a teacher of the student's ${classes} classes; ${file} has ${described.numClasses}`,
      );
    if (described.arch === 'mobilefacenet' && size !== 112)
      throw new ConfigError(`teacher ${file} is a mobilefacenet: it takes 112 px faces, the student trains at ${size}`);
    let model: Model;
    try {
      // Eval mode, no gradients; bf16 autocast where the CPU has it (the teacher only has to rank faces).
      model = await Model.fromFile(file, {
        device: c.device,
        amp: info().bf16 && c.device !== 'cuda' ? 'bf16' : 'off',
      });
    } catch (e) {
      throw new ConfigError(`teacher ${file} is not a model this package can load: ${(e as Error).message}`);
    }
    if (model.inputSize !== size)
      log(`warning: the teacher was made for ${model.inputSize} px faces; it sees the student's ${size} px batches`);
    const dim = outputDim(model.describe());
    log(
      `teacher: ${file} (${model.config.arch}, ${dim}-d), loss ${c.distillLoss}${withLogits ? `, logits at T=${c.temperature}` : ''}` +
        (options.cache ? '; augmentation is off: its outputs are computed once per image and cached' : ''),
    );
    return new Teacher(
      model,
      dim,
      {
        loss: c.distillLoss,
        weight: c.distillWeight,
        hardWeight: c.hardWeight,
        logitWeight: c.logitWeight,
        temperature: c.temperature,
      },
      withLogits,
      options.cache ? new TeacherCache() : undefined,
    );
  }

  /** The step options' `distill` for one uint8 NHWC batch of the dataset's images `indices`. */
  async targets(data: Uint8Array, shape: number[], indices: readonly number[]): Promise<DistillStepOptions> {
    const classes = this.model.config.numClasses;
    let rows = this.cache?.get(indices, this.dim, classes);
    if (!rows) {
      const out = await this.model.forward(data, shape);
      rows = { embedding: out.embedding ?? out.features, ...(this.withLogits ? { logits: out.logits } : {}) };
      this.cache?.put(indices, rows, this.dim, classes);
    }
    return { ...this.options, ...rows };
  }

  dispose(): void {
    this.model.dispose();
  }
}
