import { ShrinkmlError } from '../core/errors.js';
import { QUANTIZE_MODES, type QuantizeMode } from './config.js';

/** What `--quantize <spec>` asks for. */
export interface QuantizeSpec {
  mode: QuantizeMode;
}

/**
 * Parses the value of `--quantize`: dynamic | static | qat (shrinkml int8 model) or weights:uint8 |
 * weights:float16 (stock tfjs model with quantized weight storage).
 */
export function parseQuantizeSpec(text: string): QuantizeSpec {
  const mode = text.trim().toLowerCase();
  if (!QUANTIZE_MODES.includes(mode as QuantizeMode)) {
    throw new ShrinkmlError('BAD_INPUT', `--quantize: unknown mode '${text}'`, {
      subject: '--quantize', suggestion: `use one of ${QUANTIZE_MODES.join(', ')}`,
    });
  }
  return { mode: mode as QuantizeMode };
}

/** Help text for the CLI's --quantize option (the lead wires it into `shrinkml compress`). */
export const QUANTIZE_HELP = [
  'dynamic: int8 weights (per-channel), activations quantized per batch at run time; needs shrinkml/runtime to load',
  'static: int8 weights and activation ranges calibrated on --data (calibration split); BatchNorm folded, ReLU fused',
  'qat: quantization-aware fine-tuning on the train split, then static int8',
  'weights:uint8 | weights:float16: stock TensorFlow.js model (loads with plain tf.loadLayersModel) whose weights are',
  '  stored as uint8 (affine, per tensor: the format allows one scale per tensor) or float16, decoded to float32 on load',
  'weights:int8 | weights:int4: kernels as int8 per output channel, or int4 in blocks of 32 along the reduction; graph',
  '  models load in plain tf.loadGraphModel (scales by inserted Mul nodes), Layers models through shrinkml/runtime',
  '  (withWeightCodeDecoding); biases and other float weights stored float16 (docs/graph-models.md)',
].join('\n');
