import { ShrinkmlError } from '../core/errors.js';
import { parsePipelineConfig, type PipelineConfig, type StepConfig } from './config.js';
import type { StepName } from './steps/types.js';

/** The compress flags that shape a pipeline. Each sets or adds one step; the result is validated like a config file. */
export interface PipelineFlags {
  /** `--prune` spec: sets the prune step's method (adding the step if there is none). */
  prune?: string;
  /** `--finetune-epochs`: fine-tuning of the prune and cluster steps. */
  finetuneEpochs?: number;
  /** `--distill-from`: a teacher model path, or 'source' for the input model (adds a distill step). */
  distillFrom?: string;
  /** `--cluster`: codes per layer (adds a cluster step). */
  cluster?: number;
  /** `--cluster-storage`: codebook (shrinkml loader) or uint8 (stock tfjs). */
  clusterStorage?: 'codebook' | 'uint8';
  /** `--quantize`: dynamic | static | qat | weights:uint8 | weights:float16 (replaces any quantize/storage step). */
  quantize?: string;
  /** `--per-channel` / `--no-per-channel`, `--observer`, `--calib-samples`: options of the ptq or qat step. */
  perChannel?: boolean;
  observer?: string;
  calibSamples?: number;
  seed?: number;
}

const ORDER: readonly StepName[] = ['prune', 'distill', 'cluster', 'qat', 'ptq', 'weight-format'];

function upsert(steps: StepConfig[], name: StepName, options: Record<string, unknown>): void {
  const existing = steps.find((s) => s.step === name);
  if (existing) {
    Object.assign(existing.options, options);
    return;
  }
  const at = steps.findIndex((s) => ORDER.indexOf(s.step) > ORDER.indexOf(name));
  steps.splice(at < 0 ? steps.length : at, 0, { step: name, options });
}

/** Applies flags on top of a base config (a preset or a file; none: an empty pipeline) and validates the result. */
export function configFromFlags(flags: PipelineFlags, base?: PipelineConfig): PipelineConfig {
  const config = structuredClone(base ?? { version: 1 as const, seed: 1, steps: [] as StepConfig[] });
  const steps = config.steps;
  if (flags.prune !== undefined) upsert(steps, 'prune', { method: flags.prune });
  if (flags.distillFrom !== undefined) upsert(steps, 'distill', { teacher: flags.distillFrom });
  if (flags.cluster !== undefined || flags.clusterStorage !== undefined) {
    upsert(steps, 'cluster', {
      ...(flags.cluster !== undefined ? { clusters: flags.cluster } : {}),
      ...(flags.clusterStorage !== undefined ? { storage: flags.clusterStorage } : {}),
    });
  }
  if (flags.finetuneEpochs !== undefined) {
    const targets = steps.filter((s) => s.step === 'prune' || s.step === 'cluster');
    if (!targets.length) {
      throw new ShrinkmlError('BAD_INPUT', '--finetune-epochs: there is no prune or cluster step to fine-tune', {
        subject: '--finetune-epochs', suggestion: 'add --prune magnitude:0.9 (or --cluster 16, or a --preset)',
      });
    }
    for (const s of targets) s.options.finetuneEpochs = flags.finetuneEpochs;
  }
  if (flags.quantize !== undefined) {
    const mode = flags.quantize.trim().toLowerCase();
    config.steps = steps.filter((s) => !['qat', 'ptq', 'weight-format'].includes(s.step));
    if (mode === 'qat') upsert(config.steps, 'qat', {});
    else if (mode === 'dynamic' || mode === 'static') upsert(config.steps, 'ptq', { mode });
    else if (/^weights:(uint8|float16|int8|int4)$/.test(mode)) upsert(config.steps, 'weight-format', { encoding: mode.slice('weights:'.length) });
    else {
      throw new ShrinkmlError('BAD_INPUT', `--quantize: unknown mode '${flags.quantize}'`, {
        subject: '--quantize', suggestion: 'use dynamic, static, qat, weights:uint8, weights:float16, weights:int8 or weights:int4',
      });
    }
  }
  const quantOptions = {
    ...(flags.perChannel !== undefined ? { perChannel: flags.perChannel } : {}),
    ...(flags.observer !== undefined ? { observer: flags.observer } : {}),
    ...(flags.calibSamples !== undefined ? { calibSamples: flags.calibSamples } : {}),
  };
  if (Object.keys(quantOptions).length) {
    const targets = config.steps.filter((s) => s.step === 'ptq' || s.step === 'qat');
    if (!targets.length) {
      const flag = flags.observer !== undefined ? '--observer' : flags.calibSamples !== undefined ? '--calib-samples' : '--per-channel';
      throw new ShrinkmlError('BAD_INPUT', `${flag}: there is no int8 step (ptq or qat) to configure`, {
        subject: flag, suggestion: 'add --quantize static (or dynamic, qat)',
      });
    }
    for (const s of targets) Object.assign(s.options, quantOptions);
  }
  if (flags.seed !== undefined) config.seed = flags.seed;
  if (config.steps.length === 0) return { ...config, steps: [] };
  return parsePipelineConfig(config, 'flags');
}
