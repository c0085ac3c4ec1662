import { ShrinkmlError } from '../../core/errors.js';
import type { ModelKind } from '../../formats/types.js';
import type { PipelineStep, StepImpl } from './types.js';

const KIND_NAMES: Record<ModelKind, string> = { layers: 'TensorFlow.js Layers', graph: 'TensorFlow.js graph', onnx: 'ONNX' };

/** The formats a step runs on, from its `formats` entries. */
export function supportedKinds(step: PipelineStep): ModelKind[] {
  return (Object.keys(step.formats) as ModelKind[]).filter((k) => step.formats[k] !== undefined);
}

/**
 * The implementation of `step` for `kind`, or the one error every unsupported step/format pair gives: the step, the
 * format, and the formats it does run on. `options` are checked against the format's own limits too (`refuse`).
 */
export function stepImpl(step: PipelineStep, kind: ModelKind, options: Record<string, unknown> = {}, path = `step '${step.name}'`): StepImpl<never, unknown> {
  const impl = step.formats[kind] as StepImpl<never, unknown> | undefined;
  if (!impl) {
    const on = supportedKinds(step).map((k) => KIND_NAMES[k]).join(', ') || 'no format yet';
    throw new ShrinkmlError('UNSUPPORTED', `${path} does not run on ${KIND_NAMES[kind]} models (it runs on: ${on})`, {
      subject: step.name, suggestion: 'drop the step, or see `shrinkml compress --help` for what each format supports',
    });
  }
  const reason = impl.refuse?.(options);
  if (reason) throw new ShrinkmlError('UNSUPPORTED', `${path} on ${KIND_NAMES[kind]} models: ${reason}`, { subject: step.name });
  return impl;
}

/** What a step reads besides weights on `kind` ('none' for weight-only steps). */
export function stepNeeds(step: PipelineStep, kind: ModelKind, options: Record<string, unknown>, quick = false): 'none' | 'calibration' | 'train' {
  return stepImpl(step, kind, options).needs?.(options, quick) ?? 'none';
}
