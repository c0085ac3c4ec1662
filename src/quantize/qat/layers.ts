import * as tf from '@tensorflow/tfjs';
import { isGpuBackend, readValues } from '../../core/read.js';
import { fakeQuant } from '../../../kernels/index.js';
import { affineParams } from '../../core/numerics.js';
import { applyActivation } from '../../runtime/activations.js';
import { ACTIVATION_RANGE } from '../../runtime/quantize-input.js';
import type { Range } from '../observers/types.js';
import { weightRange } from '../weights.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

// A type, not an interface extending LayerArgs: typedoc links an interface with an external parent to a hierarchy
// entry it never writes (test/package/docs.test.ts checks the reference's links).
/** Constructor arguments of the QAT layers: tfjs LayerArgs plus the quantization settings. */
export type QatArgs = LayerArgs & {
  activation?: string;
  useBias?: boolean;
  weightBits?: number;
  narrowRange?: boolean;
  perChannel?: boolean;
  /** Starting input range (from calibration); without one, activations stay float until the first batch. */
  initMin?: number | null;
  initMax?: number | null;
  /** Moving-average constant of the input range during training. */
  averagingConstant?: number;
};

/**
 * Symmetric weight scales, amax / qmax (1 where amax is 0), as the spec's symmetricParams computes them. Scales
 * get no gradient (STE), so the computation is cut from the tape: tfjs has no gradient for its comparison ops.
 */
const weightScales = (w: tf.Tensor, qmax: number, perChannel: boolean): tf.Tensor1D => tf.customGrad((x, save) => {
  void save;
  const t = x as tf.Tensor;
  const amax = tf.reshape(tf.max(tf.abs(t), perChannel ? t.shape.slice(0, -1).map((_, i) => i) : undefined), [-1]);
  return {
    value: tf.where(tf.greater(amax, 0), tf.div(amax, qmax), tf.onesLike(amax)),
    gradFunc: () => tf.zerosLike(t),
  };
})(w) as tf.Tensor1D;

/**
 * What QatDense and QatConv2D share: the input is fake-quantized with a moving-average min/max range that keeps
 * updating on every training batch, and the kernel with symmetric per-channel scales recomputed from the current
 * weights each step. FakeQuant's gradient is the clipped straight-through estimator (kernels/fake-quant).
 */
export abstract class QatLayer extends tf.layers.Layer {
  readonly activation: string;
  readonly useBias: boolean;
  readonly weightBits: number;
  readonly narrowRange: boolean;
  readonly perChannel: boolean;
  readonly averagingConstant: number;
  range: Range | null;
  protected kernel?: tf.LayerVariable;
  protected bias?: tf.LayerVariable;

  constructor(args: QatArgs) {
    super(args);
    this.activation = args.activation ?? 'linear';
    this.useBias = args.useBias ?? true;
    this.weightBits = args.weightBits ?? 8;
    this.narrowRange = args.narrowRange ?? true;
    this.perChannel = args.perChannel ?? true;
    this.averagingConstant = args.averagingConstant ?? 0.01;
    this.range = args.initMin != null && args.initMax != null ? { min: args.initMin, max: args.initMax } : null;
  }

  protected addKernelAndBias(kernelShape: number[]): void {
    this.kernel = this.addWeight('kernel', kernelShape, 'float32', tf.initializers.glorotUniform({}));
    if (this.useBias) this.bias = this.addWeight('bias', [kernelShape.at(-1)!], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  /** The moving-average [min, max] kept on the device, on backends that cannot read it inside call() (GPU). */
  private pending?: tf.Tensor;

  /**
   * Updates the moving-average range with this batch. call() is synchronous: on cpu/wasm the batch's min and max are
   * read back (two numbers); a GPU backend cannot read synchronously (core/read.ts), so there the same moving average
   * runs on the device and settleRange() brings it to `range`. The QAT training loop settles after every batch; with
   * your own fit() the average is still exact, and `range` (the fake-quant grid) catches up at convertQat.
   */
  private observe(x: tf.Tensor): void {
    if (isGpuBackend()) {
      const next = tf.tidy(() => {
        const batch = tf.stack([tf.min(x), tf.max(x)]);
        const prev = this.pending ?? (this.range ? tf.tensor1d([this.range.min, this.range.max]) : undefined);
        if (!prev) return batch;
        const ema = tf.add(prev, tf.mul(tf.sub(batch, prev), this.averagingConstant));
        // A batch with a non-finite value is skipped, as on the CPU path.
        return tf.where(tf.broadcastTo(tf.all(tf.isFinite(batch)), [2]), ema, prev);
      });
      this.pending?.dispose();
      this.pending = tf.keep(next);
      return;
    }
    const [lo, hi] = tf.tidy(() => tf.stack([tf.min(x), tf.max(x)]).dataSync());
    this.updateRange(lo!, hi!);
  }

  /** Brings the device-side moving average (GPU backends) into `range`; nothing to do on cpu/wasm. */
  async settleRange(): Promise<void> {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    const [lo, hi] = await readValues(pending);
    pending.dispose();
    if (Number.isFinite(lo) && Number.isFinite(hi)) this.range = { min: lo!, max: hi! };
  }

  private updateRange(lo: number, hi: number): void {
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return;
    const c = this.averagingConstant;
    this.range = this.range
      ? { min: this.range.min + c * (lo! - this.range.min), max: this.range.max + c * (hi! - this.range.max) }
      : { min: lo!, max: hi! };
  }

  protected quantizedInput(x: tf.Tensor, training: boolean): tf.Tensor {
    if (training) this.observe(x);
    if (!this.range) return x;
    const p = affineParams({ ...this.range, range: ACTIVATION_RANGE });
    return fakeQuant({ x, scale: p.scale, zeroPoint: p.zeroPoint, qmin: ACTIVATION_RANGE.qmin, qmax: ACTIVATION_RANGE.qmax });
  }

  /** fakeQuant(W) with symmetric scales amax / qmax (per output channel: the last axis). */
  protected quantizedKernel(): tf.Tensor {
    const w = this.kernel!.read();
    const { qmin, qmax } = weightRange({ bits: this.weightBits, narrowRange: this.narrowRange });
    const scale = weightScales(w, qmax, this.perChannel);
    return fakeQuant({ x: w, scale, zeroPoint: tf.zerosLike(scale) as tf.Tensor1D, qmin, qmax });
  }

  protected finish(y: tf.Tensor): tf.Tensor {
    return applyActivation(this.activation, this.bias ? tf.add(y, this.bias.read()) : y);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(), activation: this.activation, useBias: this.useBias, weightBits: this.weightBits,
      narrowRange: this.narrowRange, perChannel: this.perChannel, averagingConstant: this.averagingConstant,
      initMin: this.range?.min ?? null, initMax: this.range?.max ?? null,
    };
  }
}

/**
 * Dense with fake-quantized weights and input, trained by QAT (prepareQat/quantizeModel put it in place of Dense).
 */
export class QatDense extends QatLayer {
  static readonly className = 'ShrinkmlQatDense';
  readonly units: number;

  constructor(args: QatArgs & { units: number }) {
    super(args);
    this.units = args.units;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    this.addKernelAndBias([s.at(-1)!, this.units]);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...s.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = this.quantizedInput(Array.isArray(inputs) ? inputs[0]! : inputs, kwargs.training === true);
      const w = this.quantizedKernel() as tf.Tensor2D;
      const lead = x.shape.slice(0, -1);
      const y = tf.matMul(tf.reshape(x, [-1, w.shape[0]]) as tf.Tensor2D, w);
      return this.finish(tf.reshape(y, [...lead, this.units]));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units };
  }
}

/**
 * Conv2D with fake-quantized weights and input, trained by QAT (prepareQat/quantizeModel put it in place of
 * Conv2D).
 */
export class QatConv2D extends QatLayer {
  static readonly className = 'ShrinkmlQatConv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'same' | 'valid';

  constructor(args: QatArgs & { filters: number; kernelSize: [number, number]; strides?: [number, number]; padding?: 'same' | 'valid' }) {
    super(args);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? [1, 1];
    this.padding = args.padding ?? 'valid';
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    this.addKernelAndBias([this.kernelSize[0], this.kernelSize[1], s.at(-1)!, this.filters]);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const out = (n: number | null, k: number, st: number) => (n === null ? null
      : this.padding === 'same' ? Math.ceil(n / st) : Math.ceil((n - k + 1) / st));
    return [s[0]!, out(s[1]!, this.kernelSize[0], this.strides[0]), out(s[2]!, this.kernelSize[1], this.strides[1]), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = this.quantizedInput(Array.isArray(inputs) ? inputs[0]! : inputs, kwargs.training === true) as tf.Tensor4D;
      const y = tf.conv2d(x, this.quantizedKernel() as tf.Tensor4D, this.strides, this.padding);
      return this.finish(y);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding };
  }
}

for (const cls of [QatDense, QatConv2D]) tf.serialization.registerClass(cls);

/** Settles every QAT layer's deferred batch range (see QatLayer.observe). */
export async function settleRanges(model: tf.LayersModel): Promise<void> {
  for (const layer of model.layers) if (layer instanceof QatLayer) await layer.settleRange();
}
