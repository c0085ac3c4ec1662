import * as tf from '@tensorflow/tfjs';
import { ShrinkmlError } from '../core/errors.js';
import { applyActivation } from './activations.js';
import { compactInt8Config, INT8_CONFIG_DEFAULTS, normalizeInputQuant, resolveMode } from './config.js';
import { INT8_WEIGHT, type InputQuant, type Int8LayerConfig } from './format.js';
import { denseInt8, type Int8Weights } from './ops.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface QuantizedDenseArgs extends LayerArgs, Int8LayerConfig {
  units: number;
  /** K, the input feature count (the packed kernel hides it). */
  inputDim: number;
  /** False when the weights have per-channel zero points (asymmetric); the spec's default is symmetric. */
  weightSymmetric?: boolean;
}

const DENSE_DEFAULTS = { ...INT8_CONFIG_DEFAULTS, weightSymmetric: true };

/**
 * Dense on int8: weights int8 [units, K] packed into int32 rows, activations quantized per call, int32
 * accumulation on MatMulInt8, per-channel rescale to float32, bias, then the (fused) activation.
 */
export class QuantizedDense extends tf.layers.Layer {
  static readonly className = 'QuantizedDense';
  readonly units: number;
  readonly inputDim: number;
  readonly mode: 'dynamic' | 'static';
  readonly inputQuant: InputQuant | null;
  readonly activation: string;
  readonly useBias: boolean;
  readonly weightSymmetric: boolean;
  readonly weightBits: number;
  readonly perChannel: boolean;
  private packed?: tf.LayerVariable;
  private scale?: tf.LayerVariable;
  private zeroPoint?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: QuantizedDenseArgs) {
    // Its weights never train, so false is the honest default (and lets configs leave it out).
    super({ ...args, trainable: args.trainable ?? false });
    this.units = args.units;
    this.inputDim = args.inputDim;
    this.mode = resolveMode(args);
    this.inputQuant = normalizeInputQuant(args.inputQuant);
    this.activation = args.activation ?? 'linear';
    this.useBias = args.useBias ?? true;
    this.weightSymmetric = args.weightSymmetric ?? true;
    this.weightBits = args.weightBits ?? 8;
    this.perChannel = args.perChannel ?? true;
    if (this.mode === 'static' && !this.inputQuant) {
      throw new ShrinkmlError('BAD_INPUT', `layer '${this.name}': static QuantizedDense needs inputQuant`, { subject: this.name });
    }
    this.inputSpec = [{ minNDim: 2, axes: { [-1]: this.inputDim } }];
  }

  override build(): void {
    const zeros = tf.initializers.zeros();
    this.packed = this.addWeight(INT8_WEIGHT.packed, [this.units, Math.ceil(this.inputDim / 4)], 'int32', zeros, undefined, false);
    this.scale = this.addWeight(INT8_WEIGHT.scale, [this.units], 'float32', tf.initializers.ones(), undefined, false);
    if (!this.weightSymmetric) this.zeroPoint = this.addWeight(INT8_WEIGHT.zeroPoint, [this.units], 'int32', zeros, undefined, false);
    if (this.useBias) this.bias = this.addWeight(INT8_WEIGHT.bias, [this.units], 'float32', zeros, undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      const lead = x.shape.slice(0, -1);
      const y = denseInt8(tf.reshape(x, [-1, this.inputDim]) as tf.Tensor2D, {
        packed: this.packed!.read() as tf.Tensor2D, k: this.inputDim, scale: this.scale!.read() as tf.Tensor1D,
        zeroPoint: this.zeroPoint?.read() as tf.Tensor1D | undefined, bias: this.bias?.read() as tf.Tensor1D | undefined,
      }, this.inputQuant);
      return applyActivation(this.activation, tf.reshape(y, [...lead, this.units]));
    });
  }

  /** The layer's int8 weights as the kernels take them (the fused path, runtime/fused.ts, reads them). */
  int8Weights(): Int8Weights {
    return {
      packed: this.packed!.read() as tf.Tensor2D, k: this.inputDim, scale: this.scale!.read() as tf.Tensor1D,
      zeroPoint: this.zeroPoint?.read() as tf.Tensor1D | undefined, bias: this.bias?.read() as tf.Tensor1D | undefined,
    };
  }

  /** Compact (runtime/config.ts): default-valued fields left out, floats written short. */
  override getConfig(): tf.serialization.ConfigDict {
    return compactInt8Config({
      ...super.getConfig(), units: this.units, inputDim: this.inputDim, mode: this.mode,
      inputQuant: this.inputQuant as unknown as tf.serialization.ConfigDict | null, activation: this.activation,
      useBias: this.useBias, weightSymmetric: this.weightSymmetric, weightBits: this.weightBits, perChannel: this.perChannel,
    }, DENSE_DEFAULTS);
  }
}
