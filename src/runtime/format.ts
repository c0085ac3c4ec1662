/**
 * The shrinkml int8 model format, version 1 (`"shrinkml": {"format": 1}` in model.json). Layers that run on the
 * int8 kernels are stored as custom layer classes whose config carries the activation quantization and whose
 * weights are int8 packed four to an int32 (docs/numerics.md "Packing"), plus float32 per-channel scales and biases.
 * Scales and biases may be stored as float16 manifest entries (stock tfjs decodes them to float32) when their
 * values are float16-representable; configs may leave out fields at their defaults (runtime/config.ts) and write
 * floats with the fewest digits that identify the float32. Readers accept both forms, so files of either are format 1.
 */
export const INT8_FORMAT_VERSION = 1;

/** Activation quantization frozen by calibration (static mode); absent in dynamic mode. */
export interface InputQuant {
  scale: number;
  zeroPoint: number;
  /** The calibrated range the parameters were chosen from (informational). */
  min: number;
  max: number;
}

/** Config fields shared by every int8 layer class. */
export interface Int8LayerConfig {
  /**
   * 'dynamic': activations quantized per batch from its min/max; 'static': with the frozen `inputQuant`.
   * Default: static when `inputQuant` is given, else dynamic.
   */
  mode?: 'dynamic' | 'static';
  inputQuant?: InputQuant | null;
  /** Float activation applied after the rescale (a following ReLU is fused here). */
  activation?: string;
  useBias?: boolean;
  /** Weight quantization, informational: bits (default 8) and whether scales are per output channel (default true). */
  weightBits?: number;
  perChannel?: boolean;
}

/** Manifest-name suffixes of the weights of int8 layers. */
export const INT8_WEIGHT = { packed: 'kernel_q', scale: 'kernel_scale', zeroPoint: 'kernel_zero_point', bias: 'bias' } as const;
