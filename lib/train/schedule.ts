/**
 * Learning-rate schedules, per iteration (optimizer step), as pure functions: linear warmup, then
 * step decay, cosine decay to the floor, or the paper's plateau rule (÷10 when the validation
 * error stops improving). The plateau rule's state is plain data, saved in checkpoints.
 */

export interface ScheduleSpec {
  kind: 'step' | 'cosine' | 'plateau';
  /** Peak lr (after warmup). */
  lr: number;
  stepsPerEpoch: number;
  epochs: number;
  warmupEpochs: number;
  /** step: epochs where lr is multiplied by gamma (plateau: the factor per decay). */
  milestones: number[];
  gamma: number;
  /** Floor of cosine and plateau. */
  minLr: number;
  /** plateau: evaluations without improvement before a decay. */
  patience: number;
}

/** The plateau rule's memory. */
export interface PlateauState {
  /** Product of the decays so far. */
  factor: number;
  best: number;
  /** Evaluations since the last improvement. */
  bad: number;
}

export const INITIAL_PLATEAU: PlateauState = { factor: 1, best: Infinity, bad: 0 };

export function warmupSteps(s: ScheduleSpec): number {
  return Math.round(s.warmupEpochs * s.stepsPerEpoch);
}

/**
 * lr for optimizer step `step` (0-based). Warmup: lr × (step + 1) / warmup (train_reference.py's);
 * cosine: lr/2 × (1 + cos(π (step − warmup) / (total − warmup))) down to minLr.
 */
export function lrAt(s: ScheduleSpec, step: number, plateau: PlateauState = INITIAL_PLATEAU): number {
  const warm = warmupSteps(s);
  if (step < warm) return (s.lr * (step + 1)) / warm;
  switch (s.kind) {
    case 'step': {
      const epoch = Math.floor(step / s.stepsPerEpoch);
      const passed = s.milestones.filter((m) => epoch >= m).length;
      return s.lr * Math.pow(s.gamma, passed);
    }
    case 'cosine': {
      const total = s.epochs * s.stepsPerEpoch;
      const t = Math.min(1, (step - warm) / Math.max(1, total - warm));
      return s.minLr + 0.5 * (s.lr - s.minLr) * (1 + Math.cos(Math.PI * t));
    }
    case 'plateau':
      return Math.max(s.minLr, s.lr * plateau.factor);
  }
}

/** The plateau rule after an evaluation with validation error `error` (lower is better). */
export function plateauUpdate(
  s: Pick<ScheduleSpec, 'gamma' | 'patience'>,
  state: PlateauState,
  error: number,
): PlateauState {
  if (error < state.best) return { ...state, best: error, bad: 0 };
  const bad = state.bad + 1;
  if (bad > s.patience) return { factor: state.factor * s.gamma, best: state.best, bad: 0 };
  return { ...state, bad };
}
