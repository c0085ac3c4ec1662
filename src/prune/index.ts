/**
 * Pruning. Four separate pieces: the dependency graph (src/graph) yields coupled channel groups; an importance
 * criterion scores weights and channels (./importance); cut handlers rewrite each layer class
 * (./structured/handlers); schedules say when and how much (./schedules).
 *
 * Unstructured (magnitude) and N:M (2:4) sparsity make nothing faster in today's runtimes: tfjs and ONNX Runtime
 * Web run dense kernels, so the zeros only make the gzipped file smaller. Only structured pruning, which
 * removes whole channels and builds a smaller model, reduces FLOPs and latency.
 */
export { parsePruneSpec, formatPruneSpec, PRUNE_SPEC_HELP } from './spec.js';
export type { PruneSpec } from './spec.js';
export { runPruneStep } from './step.js';
export type { PruneStepOptions, PruneStepResult } from './step.js';
export { finetune } from './finetune.js';
export type { FinetuneOptions, Trainer } from './finetune.js';
export { formatPruneReport, formatRecipe } from './format.js';
export { snapshotModel, compareSnapshots, SPEED_NOTE_STRUCTURED, SPEED_NOTE_UNSTRUCTURED } from './report.js';
export type { LayerPruneRow, ModelSnapshot, PruneReport } from './report.js';

export { IMPORTANCE, getImportance } from './importance/index.js';
export type { ImportanceCriterion } from './importance/index.js';
export { computeMagnitudeMasks } from './magnitude.js';
export type { MagnitudeMaskOptions, SparsityOverride } from './magnitude.js';
export { computeNMMasks, isNMSparse } from './nm.js';
export type { NMOptions } from './nm.js';
export { applyMasks, maskSparsity } from './masks.js';
export type { MaskMap } from './masks.js';
export { layersModelTargets, weightMapTargets, matchesAny } from './targets.js';
export type { LayerMatcher, PrunableWeight } from './targets.js';
export { pruneUnstructured, masksForSpec } from './unstructured.js';
export type { UnstructuredOptions } from './unstructured.js';
export { pruneGraphModel } from './graph-model.js';
export { keepAllButLowest, countToPrune } from './select.js';

export { pruningCallback, stripPruning, PruningCallback } from './callback.js';
export type { PruningCallbackOptions } from './callback.js';
export { ConstantSparsity, PolynomialDecay, IterativeSchedule, SCHEDULES, scheduleFromJSON } from './schedules/index.js';
export type { ConstantSparsityOptions, IterativeOptions, PolynomialDecayOptions, PruningSchedule, ScheduleJSON } from './schedules/index.js';

export { pruneStructured, planStructured, applyRecipe, validateRecipe, RECIPE_FORMAT, CUT_HANDLERS, cutHandlerFor, cloneModel } from './structured/index.js';
export type { ApplyRecipeOptions, CutHandler, FoldArgs, RecipeGroup, StructuredPlan, StructuredPlanOptions, StructuredRecipe } from './structured/index.js';
