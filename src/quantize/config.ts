import { ShrinkmlError } from '../core/errors.js';
import { isObserverName, OBSERVER_NAMES } from './observers/index.js';
import type { ObserverName, ObserverOptions } from './observers/types.js';
import { DEFAULT_WEIGHT_CONFIG, type WeightQuantConfig } from './weights.js';

/**
 * Quantization configs are data: a global setting plus overrides by layer class or name pattern, validated here
 * at the boundary (CLI flags, a JSON file) and round-tripping through JSON unchanged.
 */
export type QuantizeMode = 'dynamic' | 'static' | 'qat' | 'weights:uint8' | 'weights:float16' | 'weights:int8' | 'weights:int4';
export const QUANTIZE_MODES: readonly QuantizeMode[] = ['dynamic', 'static', 'qat', 'weights:uint8', 'weights:float16', 'weights:int8', 'weights:int4'];

export interface ActivationQuantConfig {
  observer: ObserverName;
  observerOptions?: ObserverOptions;
}

export interface LayerOverride {
  /** Layer class ('Conv2D') and/or name: a glob ('fc*', 'block?_conv') or a /regular expression/. Both must match. */
  match: { class?: string; name?: string };
  /** Leave matching layers float. */
  exclude?: boolean;
  weights?: Partial<WeightQuantConfig>;
  activations?: Partial<ActivationQuantConfig>;
}

/**
 * A full quantization config (parseQuantConfig fills it from JSON data): global settings plus per-layer overrides.
 */
export interface QuantConfig {
  mode: QuantizeMode;
  weights: WeightQuantConfig;
  activations: ActivationQuantConfig;
  calibration: { samples: number; batchSize: number };
  /** Fold BatchNormalization into the preceding Dense/Conv2D before quantizing. */
  foldBatchNorm: boolean;
  /** Fuse a following ReLU/ReLU6 into the int8 layer. */
  fuseActivations: boolean;
  /** averagingConstant: weight of each training batch in the moving-average input ranges (0 freezes the calibrated ranges). */
  qat: { epochs: number; batchSize: number; learningRate: number; seed: number; averagingConstant: number };
  /** Later overrides win. */
  overrides: LayerOverride[];
}

/**
 * The quantization config used where a field is left out: int8 per-channel symmetric weights, entropy-calibrated
 * inputs.
 */
export const DEFAULT_QUANT_CONFIG: Readonly<QuantConfig> = {
  mode: 'static',
  weights: { ...DEFAULT_WEIGHT_CONFIG },
  activations: { observer: 'minmax' },
  calibration: { samples: 512, batchSize: 128 },
  foldBatchNorm: true,
  fuseActivations: true,
  qat: { epochs: 1, batchSize: 128, learningRate: 3e-5, seed: 1, averagingConstant: 0.01 },
  overrides: [],
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function bad(source: string, path: string, problem: string, suggestion?: string): ShrinkmlError {
  return new ShrinkmlError('BAD_INPUT', `${source}: ${path} ${problem}`, { subject: path, suggestion });
}

function checkKeys(v: Record<string, unknown>, allowed: string[], source: string, path: string): void {
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) throw bad(source, `${path}.${k}`, 'is not a known setting', `known: ${allowed.join(', ')}`);
  }
}

function int(v: unknown, source: string, path: string, lo: number, hi: number): number {
  if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) throw bad(source, path, `must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
  return v as number;
}

function bool(v: unknown, source: string, path: string): boolean {
  if (typeof v !== 'boolean') throw bad(source, path, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function parseWeights(v: unknown, source: string, path: string, partial: boolean): Partial<WeightQuantConfig> {
  if (!isObject(v)) throw bad(source, path, 'must be an object');
  checkKeys(v, ['bits', 'perChannel', 'symmetric', 'narrowRange'], source, path);
  const out: Partial<WeightQuantConfig> = {};
  if (v.bits !== undefined) out.bits = int(v.bits, source, `${path}.bits`, 2, 8);
  for (const k of ['perChannel', 'symmetric', 'narrowRange'] as const) if (v[k] !== undefined) out[k] = bool(v[k], source, `${path}.${k}`);
  if (!partial) return { ...DEFAULT_WEIGHT_CONFIG, ...out };
  return out;
}

function parseActivations(v: unknown, source: string, path: string): Partial<ActivationQuantConfig> {
  if (!isObject(v)) throw bad(source, path, 'must be an object');
  checkKeys(v, ['observer', 'observerOptions'], source, path);
  const out: Partial<ActivationQuantConfig> = {};
  if (v.observer !== undefined) {
    if (!isObserverName(v.observer)) throw bad(source, `${path}.observer`, `is not an observer: ${JSON.stringify(v.observer)}`, `use one of ${OBSERVER_NAMES.join(', ')}`);
    out.observer = v.observer;
  }
  if (v.observerOptions !== undefined) {
    const o = v.observerOptions;
    if (!isObject(o)) throw bad(source, `${path}.observerOptions`, 'must be an object');
    checkKeys(o, ['percentile', 'bins', 'averagingConstant', 'levels', 'maxClipped'], source, `${path}.observerOptions`);
    for (const [k, x] of Object.entries(o)) if (typeof x !== 'number' || !Number.isFinite(x)) throw bad(source, `${path}.observerOptions.${k}`, 'must be a number');
    out.observerOptions = { ...o } as ObserverOptions;
  }
  return out;
}

function parseOverride(v: unknown, source: string, path: string): LayerOverride {
  if (!isObject(v)) throw bad(source, path, 'must be an object');
  checkKeys(v, ['match', 'exclude', 'weights', 'activations'], source, path);
  const m = v.match;
  if (!isObject(m) || (m.class === undefined && m.name === undefined)) throw bad(source, `${path}.match`, "needs 'class' and/or 'name'");
  checkKeys(m, ['class', 'name'], source, `${path}.match`);
  for (const k of ['class', 'name'] as const) if (m[k] !== undefined && (typeof m[k] !== 'string' || m[k] === '')) throw bad(source, `${path}.match.${k}`, 'must be a non-empty string');
  if (typeof m.name === 'string') namePattern(m.name, source, `${path}.match.name`);
  const out: LayerOverride = { match: { ...(m as LayerOverride['match']) } };
  if (v.exclude !== undefined) out.exclude = bool(v.exclude, source, `${path}.exclude`);
  if (v.weights !== undefined) out.weights = parseWeights(v.weights, source, `${path}.weights`, true);
  if (v.activations !== undefined) out.activations = parseActivations(v.activations, source, `${path}.activations`);
  return out;
}

/** A glob ('*', '?') or a /regex/ as a RegExp matching whole layer names. */
export function namePattern(pattern: string, source = 'quantization config', path = 'match.name'): RegExp {
  const regex = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  try {
    if (regex) return new RegExp(regex[1]!, regex[2]);
  } catch (e) {
    throw bad(source, path, `is not a valid regular expression: ${(e as Error).message}`);
  }
  const glob = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${glob}$`);
}

/** Validates a config (an object, e.g. parsed JSON) and fills defaults; `source` names it in errors. */
export function parseQuantConfig(v: unknown, source = 'quantization config'): QuantConfig {
  if (!isObject(v)) throw bad(source, 'config', 'must be a JSON object');
  checkKeys(v, ['mode', 'weights', 'activations', 'calibration', 'foldBatchNorm', 'fuseActivations', 'qat', 'overrides'], source, 'config');
  const d = DEFAULT_QUANT_CONFIG;
  const config: QuantConfig = structuredClone(d) as QuantConfig;
  if (v.mode !== undefined) {
    if (!QUANTIZE_MODES.includes(v.mode as QuantizeMode)) throw bad(source, 'mode', `is not a quantization mode: ${JSON.stringify(v.mode)}`, `use one of ${QUANTIZE_MODES.join(', ')}`);
    config.mode = v.mode as QuantizeMode;
  }
  if (v.weights !== undefined) config.weights = parseWeights(v.weights, source, 'weights', false) as WeightQuantConfig;
  if (v.activations !== undefined) config.activations = { ...d.activations, ...parseActivations(v.activations, source, 'activations') };
  if (v.calibration !== undefined) {
    const c = v.calibration;
    if (!isObject(c)) throw bad(source, 'calibration', 'must be an object');
    checkKeys(c, ['samples', 'batchSize'], source, 'calibration');
    if (c.samples !== undefined) config.calibration.samples = int(c.samples, source, 'calibration.samples', 1, 1_000_000);
    if (c.batchSize !== undefined) config.calibration.batchSize = int(c.batchSize, source, 'calibration.batchSize', 1, 65536);
  }
  for (const k of ['foldBatchNorm', 'fuseActivations'] as const) if (v[k] !== undefined) config[k] = bool(v[k], source, k);
  if (v.qat !== undefined) {
    const q = v.qat;
    if (!isObject(q)) throw bad(source, 'qat', 'must be an object');
    checkKeys(q, ['epochs', 'batchSize', 'learningRate', 'seed', 'averagingConstant'], source, 'qat');
    if (q.epochs !== undefined) config.qat.epochs = int(q.epochs, source, 'qat.epochs', 1, 1000);
    if (q.batchSize !== undefined) config.qat.batchSize = int(q.batchSize, source, 'qat.batchSize', 1, 65536);
    if (q.seed !== undefined) config.qat.seed = int(q.seed, source, 'qat.seed', 0, 2 ** 32 - 1);
    if (q.learningRate !== undefined) {
      if (typeof q.learningRate !== 'number' || !(q.learningRate > 0 && q.learningRate < 10)) throw bad(source, 'qat.learningRate', 'must be a number in (0, 10)');
      config.qat.learningRate = q.learningRate;
    }
    if (q.averagingConstant !== undefined) {
      if (typeof q.averagingConstant !== 'number' || !(q.averagingConstant >= 0 && q.averagingConstant <= 1)) throw bad(source, 'qat.averagingConstant', 'must be a number in [0, 1]');
      config.qat.averagingConstant = q.averagingConstant;
    }
  }
  if (v.overrides !== undefined) {
    if (!Array.isArray(v.overrides)) throw bad(source, 'overrides', 'must be an array');
    config.overrides = v.overrides.map((o, i) => parseOverride(o, source, `overrides[${i}]`));
  }
  return config;
}

/** The settings one layer gets: the global ones with every matching override applied in order. */
export interface LayerQuantSettings {
  exclude: boolean;
  weights: WeightQuantConfig;
  activations: ActivationQuantConfig;
}

export function settingsFor(config: QuantConfig, layer: { name: string; className: string }): LayerQuantSettings {
  const out: LayerQuantSettings = { exclude: false, weights: { ...config.weights }, activations: { ...config.activations } };
  for (const o of config.overrides) {
    if (o.match.class !== undefined && o.match.class !== layer.className) continue;
    if (o.match.name !== undefined && !namePattern(o.match.name).test(layer.name)) continue;
    if (o.exclude !== undefined) out.exclude = o.exclude;
    Object.assign(out.weights, o.weights);
    Object.assign(out.activations, o.activations);
  }
  return out;
}
