import type { TopologyLayer } from './topology.js';
import type { WidthConstraint } from './width-plan.js';

/** Layers whose output width is their own setting: the config key to scale. */
export const WIDTH_KEYS: Record<string, string> = {
  Dense: 'units', Conv1D: 'filters', Conv2D: 'filters', Conv3D: 'filters', Conv2DTranspose: 'filters',
  Conv3DTranspose: 'filters', SeparableConv1D: 'filters', SeparableConv2D: 'filters', ConvLSTM2D: 'filters',
  LSTM: 'units', GRU: 'units', SimpleRNN: 'units', Embedding: 'output_dim',
};

/** Layers whose output has the width of their input (channels last). */
const PASS_THROUGH = new Set([
  'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'PReLU', 'Softmax', 'ThresholdedReLU', 'Dropout', 'SpatialDropout1D',
  'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'BatchNormalization', 'LayerNormalization',
  'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
  'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'ZeroPadding2D',
  'Cropping2D', 'UpSampling2D', 'Masking', 'RepeatVector', 'Rescaling', 'CenterCrop', 'Resizing',
]);

/** Element-wise merges: all inputs and the output have one width. */
const JOIN_EQUAL = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum']);

/** How a tensor's new width is decided. */
export type Rule =
  | { kind: 'free' }                       // a width layer's own output: scaled unless its group is constrained
  | { kind: 'same' }                       // pass-through / element-wise merge: the group's width
  | { kind: 'fixed'; why: WidthConstraint } // model input, reshape or unknown layer: keeps its width
  | { kind: 'concat'; inputs: string[] }
  | { kind: 'scaleOf'; input: string; multiplier: number }; // flatten (spatial × channels), depthwise (× depth multiplier)

/** How a layer's output width follows from its config and inputs. */
export function ruleFor(layer: TopologyLayer, feeding: string[], original: (name: string) => number): Rule {
  const cls = layer.class_name;
  if (WIDTH_KEYS[cls]) return { kind: 'free' };
  if (PASS_THROUGH.has(cls) || JOIN_EQUAL.has(cls)) return { kind: 'same' };
  const axis = layer.config.axis;
  if (cls === 'Concatenate' && (axis === undefined || axis === -1)) return { kind: 'concat', inputs: feeding };
  if (cls === 'Flatten' && feeding.length === 1) {
    return { kind: 'scaleOf', input: feeding[0], multiplier: original(layer.name!) / original(feeding[0]) };
  }
  if (cls === 'DepthwiseConv2D' && feeding.length === 1) {
    return { kind: 'scaleOf', input: feeding[0], multiplier: Number(layer.config.depth_multiplier ?? 1) };
  }
  return { kind: 'fixed', why: 'joined with a fixed width' }; // InputLayer, Reshape, Permute, Dot, unknown layers
}
