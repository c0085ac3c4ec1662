import { ShrinkmlError } from '../core/errors.js';
import { parsePipelineConfig, type PipelineConfig } from './config.js';

export interface Preset {
  name: 'edge' | 'balanced' | 'max-accuracy';
  /** One line for `--help`. */
  summary: string;
  config: PipelineConfig;
}

/**
 * Ready-made pipelines. Epoch counts are sized so a budget search on the bundled MNIST models fits in 10 minutes
 * on two cores; raise them in a config file for the last fraction of a point.
 */
export const PRESETS: readonly Preset[] = [
  {
    name: 'edge',
    summary: 'smallest download: 95% global magnitude pruning → 16-value weight sharing, codebook storage',
    config: parsePipelineConfig({
      description: 'edge: prune → cluster (Deep Compression without Huffman: gzip does the entropy coding)',
      steps: [
        { step: 'prune', options: { method: 'magnitude:0.95:global', finetuneEpochs: 3, learningRate: 2e-3 } },
        { step: 'cluster', options: { clusters: 16, finetuneEpochs: 1, storage: 'codebook' } },
      ],
    }, 'preset edge'),
  },
  {
    name: 'balanced',
    summary: 'the seed recipe: 80% global magnitude pruning → distillation from the input model → QAT to int8 (int8 kernels)',
    config: parsePipelineConfig({
      description: 'balanced: prune → distill → QAT',
      steps: [
        { step: 'prune', options: { method: 'magnitude:0.8:global', finetuneEpochs: 1 } },
        { step: 'distill', options: { epochs: 1, temperature: 4, alpha: 0.3 } },
        { step: 'qat', options: { epochs: 1 } },
      ],
    }, 'preset balanced'),
  },
  {
    name: 'max-accuracy',
    summary: 'least accuracy lost: 50% pruning → distillation → float16 storage (loads in stock tfjs)',
    config: parsePipelineConfig({
      description: 'max-accuracy: light pruning, distillation, float16 weights',
      steps: [
        { step: 'prune', options: { method: 'magnitude:0.5:global', finetuneEpochs: 1 } },
        { step: 'distill', options: { epochs: 2, temperature: 4, alpha: 0.3 } },
        { step: 'weight-format', options: { encoding: 'float16' } },
      ],
    }, 'preset max-accuracy'),
  },
];

export const PRESET_NAMES = PRESETS.map((p) => p.name);

/** A fresh copy of a preset's config (callers may change it). */
export function getPreset(name: string): PipelineConfig {
  const preset = PRESETS.find((p) => p.name === name);
  if (!preset) {
    throw new ShrinkmlError('BAD_INPUT', `--preset: unknown preset '${name}'`, { subject: '--preset', suggestion: `use one of ${PRESET_NAMES.join(', ')}` });
  }
  return structuredClone(preset.config);
}
