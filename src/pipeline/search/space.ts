import * as tf from '@tensorflow/tfjs';
import { clusterValues, expandClustered } from '../../cluster/index.js';
import { readValues } from '../../core/read.js';
import { formatOf } from '../../formats/index.js';
import type { LoadedModel, ModelKind } from '../../formats/types.js';
import { layersModelTargets } from '../../prune/targets.js';
import type { PipelineConfig, StepConfig } from '../config.js';
import { getStep } from '../steps/index.js';
import { stepImpl } from '../steps/support.js';

/**
 * The search space of a budget search without a written pipeline: which steps apply to the model's format (as the
 * steps declare it, ./steps/support.ts), the per-layer choices of the main family (magnitude sparsity × shared
 * codes), their exact weight error and estimated stored bits, and the pipeline config an allocation stands for.
 */

/** One per-layer choice: magnitude sparsity, then k shared codes (null: the layer is left unclustered). */
export interface LayerChoice { sparsity: number; clusters: number | null }

/** A compressible unit: a layer (tfjs Layers), a weight (tfjs graph) or a node (ONNX), named as step options name it. */
export interface Unit {
  name: string;
  /** Its kernel weights' names (as the format adapter lists them). */
  weights: string[];
  params: number;
}

/** A unit's choices with their relative weight error ‖W − Ŵ‖²/‖W‖² and estimated stored bits (all its weights). */
export interface UnitTable { unit: Unit; choices: LayerChoice[]; error: number[]; bits: number[] }

/**
 * A whole-model candidate that trains (QAT, a fine-tuned narrower network, a distilled student). Training changes
 * quality, not cost, so the one-shot screen named by `estimate` measures what it will cost (size, p50) before any
 * training: it is tried only where that cost can beat the best candidate so far (see search.ts).
 */
export interface TrainedCandidate { name: string; steps: StepConfig[]; estimate: string }

/**
 * A one-shot whole-model candidate. `latency`: it makes the model faster (int8 kernels, fewer channels); storage
 * formats only shrink the file, the model runs in float32 after loading.
 */
export interface Screen { name: string; steps: StepConfig[]; latency?: true }

/** What the search may do with a format: trained steps only where the format trains and train data exists. */
export interface Space {
  kind: ModelKind;
  /** Fine-tuning (prune, cluster, QAT) is possible: tfjs Layers with data. */
  trains: boolean;
  choices: LayerChoice[];
  /**
   * The one-shot, whole-model candidates worth one cheap trial each (storage formats, static int8, and where the
   * format trains, narrower networks as the cost estimate of their fine-tuned and distilled forms).
   */
  screens: Screen[];
  /** Trained whole-model candidates, each behind its one-shot estimate. */
  trained: TrainedCandidate[];
}

const SPARSITY_TRAINED = [0, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.96, 0.97, 0.98, 0.985, 0.99];
const CLUSTERS_TRAINED = [64, 32, 16, 8];
const CLUSTERS_ONESHOT = [64, 32, 16, 8];
/** Hidden widths kept by the structured (channel) candidates: half and a quarter of every prunable layer. */
const WIDTHS = [0.5, 0.25];

/** Whether `step` with `options` runs on `kind` (its declared support and the format's own refusals). */
function supports(kind: ModelKind, step: StepConfig): boolean {
  try {
    stepImpl(getStep(step.step), kind, step.options);
    return true;
  } catch {
    return false;
  }
}

export function searchSpace(o: { kind: ModelKind; hasTrainData: boolean; hasCalibration: boolean }): Space {
  const trains = o.kind === 'layers' && o.hasTrainData;
  // Graph and ONNX weight pruning has no per-layer setting here; their per-layer choice is the number of codes.
  const sparsities = trains ? SPARSITY_TRAINED : [0];
  const clusters = trains ? CLUSTERS_TRAINED : CLUSTERS_ONESHOT;
  const choices: LayerChoice[] = [{ sparsity: 0, clusters: null }];
  for (const s of sparsities) for (const k of clusters) choices.push({ sparsity: s, clusters: k });
  if (trains) for (const s of sparsities.filter((x) => x > 0)) choices.push({ sparsity: s, clusters: null });
  const int8 = { step: 'ptq' as const, options: { mode: 'static' } };
  const runs = (steps: StepConfig[]) => steps.every((s) => supports(o.kind, s));
  const screens: Screen[] = [
    ...(['float16', 'int8', 'int4'] as const).map((encoding) => ({ name: `weight-format ${encoding}`, steps: [{ step: 'weight-format' as const, options: { encoding } }] })),
    ...(o.hasCalibration ? [{ name: 'ptq static', steps: [int8], latency: true as const }] : []),
    // A narrower network stored as static int8: fewer multiply-adds and int8 kernels, the latency lever. One-shot
    // it is usually poor; it is here for its cost, which its fine-tuned and distilled forms share.
    ...(trains ? WIDTHS.map((w) => ({ name: `width ${w}`, steps: [{ step: 'prune' as const, options: { method: `structured:${1 - w}` } }, int8], latency: true as const })) : []),
  ].filter((c) => runs(c.steps));
  const trained: TrainedCandidate[] = !trains ? [] : [
    { name: 'qat int8', steps: [{ step: 'qat' as const, options: { epochs: AUTO_RECIPE.qatEpochs } }], estimate: 'ptq static' },
    ...WIDTHS.flatMap((w) => [
      { name: `width ${w}, fine-tuned`, steps: [{ step: 'prune' as const, options: { method: `structured:${1 - w}`, finetuneEpochs: AUTO_RECIPE.widthEpochs, learningRate: AUTO_RECIPE.pruneLearningRate } }, int8], estimate: `width ${w}` },
      { name: `distilled into width ${w}`, steps: [{ step: 'distill' as const, options: { studentWidth: w, epochs: AUTO_RECIPE.distillEpochs } }, int8], estimate: `width ${w}` },
    ]),
  ].filter((c) => runs(c.steps) && screens.some((s) => s.name === c.estimate));
  return { kind: o.kind, trains, choices, screens, trained };
}

/** The kernels the main family acts on, grouped into units named as the steps' `layers` and `exclude` options name them. */
export async function searchUnits(model: LoadedModel): Promise<Unit[]> {
  if (model.kind === 'layers') {
    const units = new Map<string, Unit>();
    for (const t of layersModelTargets(model.model)) {
      const u = units.get(t.layer) ?? { name: t.layer, weights: [], params: 0 };
      u.weights.push(t.name);
      u.params += t.shape.reduce((a, b) => a * b, 1);
      units.set(t.layer, u);
    }
    return [...units.values()];
  }
  const units = new Map<string, Unit>();
  for (const w of formatOf(model).weights(model as never)) {
    if (w.role !== 'kernel') continue;
    const size = w.shape.reduce((a, b) => a * b, 1);
    // Tiny kernels are not worth a choice (ONNX's cluster step skips them too).
    if (size < 256) continue;
    const name = model.kind === 'graph' ? w.name : w.node;
    const u = units.get(name) ?? { name, weights: [], params: 0 };
    u.weights.push(w.name);
    u.params += size;
    units.set(name, u);
  }
  return [...units.values()];
}

/** The magnitude order of `values` (smallest first; ties: lower index first), as magnitude pruning ranks them. */
function magnitudeOrder(values: Float32Array): Uint32Array {
  const order = Uint32Array.from(values.keys());
  return order.sort((a, b) => Math.abs(values[a]!) - Math.abs(values[b]!) || a - b);
}

/** The values a choice leaves (pruned, then shared), what a one-shot step would write. */
export function applyChoice(w: { name: string; shape: number[]; values: Float32Array; order?: Uint32Array }, c: LayerChoice): Float32Array {
  const out = Float32Array.from(w.values);
  const count = Math.round(c.sparsity * out.length);
  if (count > 0) {
    const order = w.order ?? magnitudeOrder(w.values);
    for (let i = 0; i < count; i++) out[order[i]!] = 0;
  }
  if (c.clusters === null) return out;
  return expandClustered(clusterValues({ name: w.name, shape: w.shape, values: out, clusters: c.clusters }));
}

/** A unit's kernels with their current values, read through the format (tfjs Layers: the layer's variables). */
export async function unitWeights(model: LoadedModel, unit: Unit): Promise<{ name: string; shape: number[]; values: Float32Array; write(v: Float32Array): void }[]> {
  if (model.kind === 'layers') {
    const targets = layersModelTargets(model.model).filter((t) => t.layer === unit.name);
    return Promise.all(targets.map(async (t) => ({
      name: t.name, shape: t.shape, values: Float32Array.from(await readValues(t.read())),
      write: (v: Float32Array) => tf.tidy(() => t.write(tf.tensor(v, t.shape, 'float32'))),
    })));
  }
  const refs = formatOf(model).weights(model as never).filter((w) => unit.weights.includes(w.name));
  return Promise.all(refs.map(async (r) => ({ name: r.name, shape: r.shape, values: await r.read(), write: (v: Float32Array) => r.write(v) })));
}

const h2 = (p: number) => (p <= 0 || p >= 1 ? 0 : -p * Math.log2(p) - (1 - p) * Math.log2(1 - p));

/**
 * Stored bits per weight as gzip sees them, to rank allocations (trials measure the real size): where the zeros
 * are (binary entropy) plus the code of each non-zero; unclustered weights as float16 (tfjs) or 8-bit codes.
 */
export function choiceBits(kind: ModelKind, c: LayerChoice): number {
  const keep = 1 - c.sparsity;
  const code = c.clusters === null ? (kind === 'graph' ? 7 : 16) : Math.log2(Math.max(2, c.clusters - (c.sparsity > 0 ? 1 : 0)));
  return h2(c.sparsity) + keep * code;
}

/** Every choice's exact relative weight error and estimated bits for each unit. */
export async function unitTables(model: LoadedModel, units: Unit[], space: Space): Promise<UnitTable[]> {
  const tables: UnitTable[] = [];
  for (const unit of units) {
    const weights = (await unitWeights(model, unit)).map((w) => ({ ...w, order: magnitudeOrder(w.values) }));
    const energy = weights.reduce((a, w) => a + w.values.reduce((s, v) => s + v * v, 0), 0) || 1;
    const error = space.choices.map((c) => weights.reduce((a, w) => {
      const v = applyChoice(w, c);
      let e = 0;
      for (let i = 0; i < v.length; i++) e += (v[i]! - w.values[i]!) ** 2;
      return a + e;
    }, 0) / energy);
    tables.push({ unit, choices: space.choices, error, bits: space.choices.map((c) => unit.params * choiceBits(model.kind, c)) });
  }
  return tables;
}

/**
 * The recipes of the trained candidates, sized for a 30-minute search on two cores. The allocation path is screened
 * with short fine-tunes (`screen`: one epoch of gradual pruning at a gentler rate, one of shared-code training,
 * about a third of the full cost): they rank candidates and err on the safe side (less training, less recovery), so
 * only the candidates the screens point to get the full fine-tune (`full`); time left over goes to a longer one
 * (`long`) for the smallest near misses of the full one. Screens train on every sample: on a
 * subset the first Adam steps on a converged model overfit it, and a screen lost more than the one-shot candidate
 * (LeNet-300-100, 2 + 1 epochs on 11,000 images: 0.34 pt against 0.18 pt).
 */
export const AUTO_RECIPE = {
  full: { pruneEpochs: 5, clusterEpochs: 2, pruneLearningRate: 1e-3 },
  long: { pruneEpochs: 10, clusterEpochs: 3, pruneLearningRate: 1e-3 },
  screen: { pruneEpochs: 1, clusterEpochs: 1, pruneLearningRate: 5e-4 },
  pruneSchedule: 'polynomial', clusterLearningRate: 2e-4, pruneLearningRate: 1e-3,
  qatEpochs: 1, widthEpochs: 2, distillEpochs: 3,
} as const;

export type FineTune = 'screen' | 'full' | 'long';

/**
 * The pipeline an allocation stands for: magnitude pruning with each unit's sparsity, then weight sharing with
 * each unit's codes (codebook storage for tfjs Layers; uint8 codes for graph models; shared floats for ONNX).
 */
export function allocationConfig(o: { kind: ModelKind; seed: number; data?: PipelineConfig['data']; trains: FineTune | false; units: string[]; picks: LayerChoice[] }): PipelineConfig {
  const steps: StepConfig[] = [];
  const recipe = o.trains ? AUTO_RECIPE[o.trains] : undefined;
  const sparsity = Object.fromEntries(o.units.map((u, i) => [u, o.picks[i]!.sparsity]).filter(([, s]) => (s as number) > 0));
  if (Object.keys(sparsity).length) {
    steps.push({ step: 'prune', options: {
      method: `magnitude:${Math.max(...Object.values(sparsity) as number[])}`, layers: sparsity,
      // Gradual (polynomial) pruning recovers far better than one-shot at the sparsities the search reaches.
      ...(recipe ? { finetuneEpochs: recipe.pruneEpochs, learningRate: recipe.pruneLearningRate, schedule: AUTO_RECIPE.pruneSchedule } : {}),
      // Units at 0 are named too: the method's own sparsity applies only to layers outside the allocation.
      exclude: o.units.filter((u, i) => o.picks[i]!.sparsity === 0),
    } });
  }
  const codes = Object.fromEntries(o.units.map((u, i) => [u, o.picks[i]!.clusters]).filter(([, k]) => k !== null));
  if (Object.keys(codes).length) {
    steps.push({ step: 'cluster', options: {
      clusters: 16, layers: codes, exclude: o.units.filter((u, i) => o.picks[i]!.clusters === null),
      ...(o.kind === 'layers' ? { storage: 'codebook', ...(recipe ? { finetuneEpochs: recipe.clusterEpochs, learningRate: AUTO_RECIPE.clusterLearningRate } : {}) } : {}),
      ...(o.kind === 'graph' ? { storage: 'uint8' } : {}),
    } });
  } else if (o.kind === 'layers') {
    steps.push({ step: 'weight-format', options: { encoding: 'float16' } });
  }
  return { version: 1, seed: o.seed, steps, ...(o.data ? { data: o.data } : {}) };
}
