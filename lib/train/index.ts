/** Training: the Trainer, its config schema, schedules and checkpoints. */
export { Trainer, configForResume, evalEvent } from './trainer';
export type {
  CheckpointEvent,
  EpochEvent,
  EvalEvent,
  FitResult,
  StepEvent,
  TrainerEvents,
  TrainerOptions,
  TrainerState,
  WindowMeans,
} from './trainer';
export {
  ConfigError,
  DEMO_DEFAULTS,
  defaultLr,
  parseConfig,
  readConfigFile,
  resolveConfig,
  trainConfigSchema,
} from './config';
export type { TrainConfig, TrainConfigInput } from './config';
export { INITIAL_PLATEAU, lrAt, plateauUpdate, warmupSteps } from './schedule';
export type { PlateauState, ScheduleSpec } from './schedule';
export { listCheckpoints, loadCheckpointFile, peekState } from './checkpoint';
export type { TrainerCheckpointState } from './checkpoint';
export type { EvalRecord, MetricRecord, TrainRecord } from './run-folder';
export { topkHits } from './validation';
