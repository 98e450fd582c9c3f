/** Structured channel pruning (docs/pruning.md). */
export { checkPruneOptions, keptWidth, pruneModel, pruneTensors } from './prune';
export type { PruneOptions, PruneResult, PrunedConv } from './prune';
export { PRUNE_CRITERIA, type PruneCriterion } from './channels';
