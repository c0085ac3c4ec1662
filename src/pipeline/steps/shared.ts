import { ShrinkmlError } from '../../core/errors.js';
import type { LayerMatcher } from '../../prune/targets.js';
import type { NumberSchema, Schema } from '../schema.js';
import { MAX_LEVEL, type LayerLevels } from './types.js';

/** Option schemas several steps share. */
export const EPOCHS: NumberSchema = { type: 'number', integer: true, min: 0, max: 1000, description: 'training epochs (0: none)' };
export const LEARNING_RATE: NumberSchema = { type: 'number', min: 1e-8, max: 1, description: 'Adam learning rate' };
export const BATCH_SIZE: NumberSchema = { type: 'number', integer: true, min: 1, max: 65536, description: 'samples per batch' };
export const LAYER_LIST: Schema = {
  type: 'array', items: { type: 'string', pattern: /\S/ },
  description: 'layer names, or /regular expressions/ matched against layer names',
};

/** `"/dense_\\d+/"` is a pattern, anything else an exact layer name. */
export function toMatchers(list: unknown, path: string): LayerMatcher[] {
  return ((list as string[] | undefined) ?? []).map((s, i) => {
    const m = /^\/(.*)\/([a-z]*)$/.exec(s);
    if (!m) return s;
    try {
      return new RegExp(m[1]!, m[2]);
    } catch (e) {
      throw new ShrinkmlError('BAD_INPUT', `${path}[${i}]: '${s}' is not a valid regular expression (${(e as Error).message})`, { subject: `${path}[${i}]` });
    }
  });
}

/** Layers at or above `level` in the fallback map. */
export function layersAt(levels: LayerLevels, predicate: (level: number) => boolean): string[] {
  return Object.entries(levels).filter(([, l]) => predicate(l)).map(([name]) => name);
}

/** Layers the search switched off for this step (left float32 and dense). */
export function offLayers(levels: LayerLevels): string[] {
  return layersAt(levels, (l) => l >= MAX_LEVEL);
}

export const LR_SCHEDULE: Schema = {
  type: 'string', enum: ['cosine', 'constant'], description: 'per-epoch learning rate: cosine decay to 5% (default) or constant',
};

/**
 * Cosine decay from `rate` to 5% of it over `epochs` (per epoch, as trainSeeded applies it): the last epochs settle
 * the weights the pruning or sharing just disturbed. 'constant' keeps `rate`.
 */
export function learningRateSchedule(kind: unknown, rate: number, epochs: number): ((epoch: number) => number) | undefined {
  if (kind === 'constant' || epochs <= 1) return undefined;
  return (epoch) => rate * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * epoch) / (epochs - 1))));
}

export function num(options: Record<string, unknown>, key: string, fallback: number): number {
  const v = options[key];
  return typeof v === 'number' ? v : fallback;
}

/** Per-layer settings by exact layer name (the search writes its per-layer allocation here). */
export function layerValues(what: string): Schema {
  return { type: 'object', properties: {}, additional: true, description: `per-layer ${what} by layer name (graph models: weight name; ONNX: node name), overriding the step's own` };
}

/** Checks a `layers` map: every value a number in [min, max] (integers where asked). */
export function checkLayerValues(value: unknown, path: string, o: { min: number; max: number; integer?: boolean }): void {
  if (value === undefined) return;
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < o.min || v > o.max || (o.integer && !Number.isInteger(v))) {
      throw new ShrinkmlError('BAD_INPUT', `${path}.${name} must be ${o.integer ? 'a whole number' : 'a number'} from ${o.min} to ${o.max}, got ${JSON.stringify(v)}`, { subject: `${path}.${name}` });
    }
  }
}

/** The `layers` map of a step's options (checked at parse time). */
export function layerMap(options: Record<string, unknown>): Record<string, number> {
  return (options.layers as Record<string, number> | undefined) ?? {};
}
