import { ShrinkmlError } from '../../core/errors.js';
import { clusterStep } from './cluster.js';
import { distillStep } from './distill.js';
import { pruneStep } from './prune.js';
import { ptqStep, qatStep } from './quantize.js';
import type { PipelineStep, StepName } from './types.js';
import { weightFormatStep } from './weight-format.js';

/** Every pipeline step, in the order phases allow them. Adding one = one file + one line here. */
export const STEPS: readonly PipelineStep[] = [pruneStep, distillStep, clusterStep, qatStep, ptqStep, weightFormatStep];

export const STEP_NAMES = STEPS.map((s) => s.name) as readonly StepName[];

export function getStep(name: string, path = 'step'): PipelineStep {
  const step = STEPS.find((s) => s.name === name);
  if (!step) {
    throw new ShrinkmlError('BAD_INPUT', `${path}: unknown step '${name}'`, { subject: path, suggestion: `use one of ${STEP_NAMES.join(', ')}` });
  }
  return step;
}

export { pruneStep, distillStep, clusterStep, qatStep, ptqStep, weightFormatStep };
export { relaxedSparsity } from './prune.js';
export { relaxedClusters } from './cluster.js';
export * from './types.js';
export { stepImpl, stepNeeds, supportedKinds } from './support.js';
