import type * as tf from '@tensorflow/tfjs';
import type { InputQuant, Int8LayerConfig } from './format.js';

/**
 * How the int8 layers write their config into model.json compactly (the 26% size target of issue 6 counts
 * model.json too) while staying format 1: fields equal to the defaults that every format-1 reader applies are left
 * out, and float32 values are written with the fewest digits that read back to the same float32.
 */

/**
 * The shortest decimal (as a number, which JSON prints that way) whose float32 rounding is `v`, when `v` is a
 * finite float32 value; `v` itself otherwise. The int8 layers apply Math.fround on load, which restores `v` exactly.
 */
export function shortestFloat32(v: number): number {
  if (!Number.isFinite(v) || Math.fround(v) !== v) return v;
  for (let digits = 1; digits < 9; digits++) {
    const short = Number(v.toPrecision(digits));
    if (Math.fround(short) === v) return short;
  }
  return Number(v.toPrecision(9)); // 9 significant digits always identify a float32
}

const f32 = (v: number | undefined): number | undefined => (typeof v === 'number' ? Math.fround(v) : v);

/**
 * Activation parameters as the layers hold them: float32 values (the kernels and numerics.md use float32 scales),
 * so parameters read back from compact config decimals equal the ones the model was converted with.
 */
export function normalizeInputQuant(q: InputQuant | null | undefined): InputQuant | null {
  if (!q) return null;
  return { ...q, scale: f32(q.scale)!, min: f32(q.min)!, max: f32(q.max)! };
}

/** Config fields every int8 layer class shares, with the values format-1 readers default them to. */
export const INT8_CONFIG_DEFAULTS: Readonly<Record<string, unknown>> = {
  trainable: false, activation: 'linear', useBias: true, weightBits: 8, perChannel: true,
};

/** Static when the activation parameters are frozen, dynamic otherwise: `mode` is stored only when it says more. */
export function resolveMode(args: Pick<Int8LayerConfig, 'mode' | 'inputQuant'>): 'dynamic' | 'static' {
  return args.mode ?? (args.inputQuant ? 'static' : 'dynamic');
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * `config` for model.json: entries equal to `defaults` removed, `mode` removed where the presence of inputQuant
 * implies it, inputQuant's floats written compactly. `inputQuant: null` stays (it marks dynamic mode explicitly).
 */
export function compactInt8Config(config: tf.serialization.ConfigDict, defaults: Readonly<Record<string, unknown>>): tf.serialization.ConfigDict {
  const out: tf.serialization.ConfigDict = {};
  const quant = config.inputQuant as InputQuant | null | undefined;
  for (const [key, value] of Object.entries(config)) {
    if (key in defaults && same(value, defaults[key])) continue;
    if (key === 'mode' && value === resolveMode({ inputQuant: quant })) continue;
    out[key] = value;
  }
  if (quant) {
    out.inputQuant = {
      scale: shortestFloat32(quant.scale), zeroPoint: quant.zeroPoint, min: shortestFloat32(quant.min), max: shortestFloat32(quant.max),
    };
  }
  return out;
}
