import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { applyActivation } from './activations.js';
import { compactInt8Config, INT8_CONFIG_DEFAULTS, normalizeInputQuant, resolveMode } from './config.js';
import { INT8_WEIGHT, type InputQuant, type Int8LayerConfig } from './format.js';
import { conv2dInt8Op, type Int8Weights } from './ops.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface QuantizedConv2DArgs extends LayerArgs, Int8LayerConfig {
  filters: number;
  kernelSize: [number, number];
  strides?: [number, number];
  padding?: 'same' | 'valid';
  /** Ci, the input channel count (the packed kernel hides it). */
  inputChannels: number;
}

function outLength(size: number | null, k: number, stride: number, padding: 'same' | 'valid'): number | null {
  if (size === null) return null;
  return padding === 'same' ? Math.ceil(size / stride) : Math.ceil((size - k + 1) / stride);
}

const CONV_DEFAULTS = { ...INT8_CONFIG_DEFAULTS, strides: [1, 1], padding: 'valid' };

/**
 * Conv2D (NHWC, dilation 1) on int8: filters int8 [filters, kh·kw·Ci] packed into int32 rows (symmetric, per
 * output channel), activations quantized per call, int32 accumulation on Conv2DInt8, rescale, bias, activation.
 */
export class QuantizedConv2D extends tf.layers.Layer {
  static readonly className = 'QuantizedConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'same' | 'valid';
  readonly inputChannels: number;
  readonly mode: 'dynamic' | 'static';
  readonly inputQuant: InputQuant | null;
  readonly activation: string;
  readonly useBias: boolean;
  readonly weightBits: number;
  readonly perChannel: boolean;
  private packed?: tf.LayerVariable;
  private scale?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: QuantizedConv2DArgs) {
    // Its weights never train, so false is the honest default (and lets configs leave it out).
    super({ ...args, trainable: args.trainable ?? false });
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? [1, 1];
    this.padding = args.padding ?? 'valid';
    this.inputChannels = args.inputChannels;
    this.mode = resolveMode(args);
    this.inputQuant = normalizeInputQuant(args.inputQuant);
    this.activation = args.activation ?? 'linear';
    this.useBias = args.useBias ?? true;
    this.weightBits = args.weightBits ?? 8;
    this.perChannel = args.perChannel ?? true;
    if (this.mode === 'static' && !this.inputQuant) {
      throw new ShrinkmlError('BAD_INPUT', `layer '${this.name}': static QuantizedConv2D needs inputQuant`, { subject: this.name });
    }
    this.inputSpec = [{ ndim: 4, axes: { [-1]: this.inputChannels } }];
  }

  get k(): number {
    return this.kernelSize[0] * this.kernelSize[1] * this.inputChannels;
  }

  override build(): void {
    const zeros = tf.initializers.zeros();
    this.packed = this.addWeight(INT8_WEIGHT.packed, [this.filters, Math.ceil(this.k / 4)], 'int32', zeros, undefined, false);
    this.scale = this.addWeight(INT8_WEIGHT.scale, [this.filters], 'float32', tf.initializers.ones(), undefined, false);
    if (this.useBias) this.bias = this.addWeight(INT8_WEIGHT.bias, [this.filters], 'float32', zeros, undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [s[0]!, outLength(s[1]!, this.kernelSize[0], this.strides[0], this.padding),
      outLength(s[2]!, this.kernelSize[1], this.strides[1], this.padding), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      const y = conv2dInt8Op(x, {
        packed: this.packed!.read() as tf.Tensor2D, k: this.k, scale: this.scale!.read() as tf.Tensor1D,
        bias: this.bias?.read() as tf.Tensor1D | undefined,
      }, {
        filterShape: [this.kernelSize[0], this.kernelSize[1], this.inputChannels, this.filters],
        strides: this.strides, padding: this.padding,
      }, this.inputQuant);
      return applyActivation(this.activation, y);
    });
  }

  /** The layer's int8 weights as the kernels take them (the fused path, runtime/fused.ts, reads them). */
  int8Weights(): Int8Weights {
    return {
      packed: this.packed!.read() as tf.Tensor2D, k: this.k, scale: this.scale!.read() as tf.Tensor1D,
      bias: this.bias?.read() as tf.Tensor1D | undefined,
    };
  }

  /** Compact (runtime/config.ts): default-valued fields left out, floats written short. */
  override getConfig(): tf.serialization.ConfigDict {
    return compactInt8Config({
      ...super.getConfig(), filters: this.filters, kernelSize: this.kernelSize, strides: this.strides,
      padding: this.padding, inputChannels: this.inputChannels, mode: this.mode,
      inputQuant: this.inputQuant as unknown as tf.serialization.ConfigDict | null, activation: this.activation,
      useBias: this.useBias, weightBits: this.weightBits, perChannel: this.perChannel,
    }, CONV_DEFAULTS);
  }
}
