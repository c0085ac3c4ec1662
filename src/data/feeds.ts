import { ShrinkmlError } from '../core/errors.js';
import type { HostTensor, ValueInfo } from '../formats/types.js';
import { readNpyFile, type NpyArray } from './npy.js';
import { planLayout, type LayoutPlan } from './shape.js';
import type { Dataset } from './types.js';

/**
 * Feeding a model's every input, the same way for every format (issue 15.2): shapes come from the graph (fixed dims
 * as declared, a fixed batch honoured), symbolic or free dims from `--input-shape`, non-data inputs (state tensors,
 * sample rates, masks) from `--input name=zeros|ones|<number>|file.npy` or a default the plan names, and the data
 * input(s) from the dataset, laid out NHWC or NCHW as the input wants (./shape.ts).
 */
export interface InputOptions {
  /** `--input-shape`: full dims incl. batch, by input name; '' is the single input of a one-input model. */
  shapes?: Record<string, number[]>;
  /** `--input name=...`: 'zeros', 'ones', a number, or a .npy path. */
  values?: Record<string, string>;
  /** Inputs fed from data (`--data name=...`); default: the first float input. */
  dataInputs?: string[];
  /** `--state in=out`: state inputs fed back from outputs frame by frame ('none': never; default: inferred, ./stream.ts). */
  state?: Record<string, string> | 'none';
}

export interface PlannedInput {
  info: ValueInfo;
  /** 'data': from the dataset; 'fixed': the same tensor every run (its batch dim follows the data's). */
  role: 'data' | 'fixed';
  /** Dims with the batch (index 0 of data inputs) left as null when free; everything else concrete. */
  dims: (number | null)[];
  /** Fixed inputs: where the value comes from, for the report ('zeros (default)', 'ones', '16000', 'h.npy'). */
  source?: string;
  /** Fixed inputs: the value (one sample's worth along `batchAxis` when a dim follows the data's batch). */
  value?: HostTensor;
  /** Fixed inputs: the axis that shares the data input's symbolic batch (a state tensor `[2, batch, 64]`: 1). */
  batchAxis?: number;
}

export interface FeedPlan {
  inputs: PlannedInput[];
  /** The batch size the graph fixes (every data input declares the same fixed dim 0), if any. */
  fixedBatch?: number;
  /** One line per input fed with a default, for the report. */
  notes: string[];
}

const SHAPE_HINT = (name: string, dims: ValueInfo['shape']) =>
  `give it with --input-shape ${name}=${dims.map((d) => (typeof d === 'number' ? d : 1)).join(',')} (full dims, batch first)`;

function fmt(dims: ValueInfo['shape']): string {
  return `[${dims.map((d) => (d === null ? '?' : d)).join(', ')}]`;
}

/** Parses `--input-shape` values: `name=1,3,48,320` or `1,64,64,3` (the single input). */
export function parseInputShapes(specs: readonly string[] | undefined): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const spec of specs ?? []) {
    const m = /^(?:([^=]+)=)?([\d\s,]+)$/.exec(spec.trim());
    const dims = m?.[2]!.split(',').map((d) => Number(d.trim()));
    if (!m || !dims || dims.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ShrinkmlError('BAD_INPUT', `--input-shape ${spec}: expected name=d0,d1,... or d0,d1,... (positive whole numbers, batch first)`, { subject: '--input-shape' });
    }
    out[m[1]?.trim() ?? ''] = dims;
  }
  return out;
}

/** Parses repeatable `name=value` flags (`--input sr=16000`, `--data x=images/`). */
export function parseNamed(flag: string, specs: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs ?? []) {
    const at = spec.indexOf('=');
    if (at <= 0 || at === spec.length - 1) throw new ShrinkmlError('BAD_INPUT', `${flag} ${spec}: expected name=value`, { subject: flag });
    out[spec.slice(0, at).trim()] = spec.slice(at + 1).trim();
  }
  return out;
}

/**
 * Decides how each input is fed. Throws one line naming the input when a dim cannot be resolved, or when a flag
 * names an input the model lacks. `needsShapes: false` (weight-only steps) plans nothing and never throws for dims.
 */
export async function planFeeds(model: string, inputs: readonly ValueInfo[], options: InputOptions = {}): Promise<FeedPlan> {
  const names = new Set(inputs.map((i) => i.name));
  const shapes = { ...options.shapes };
  if (shapes[''] !== undefined) {
    if (inputs.length !== 1) {
      throw new ShrinkmlError('BAD_INPUT', `${model}: --input-shape without a name needs a one-input model; this one has ${inputs.length} (${[...names].join(', ')})`, {
        subject: '--input-shape', suggestion: 'use --input-shape name=d0,d1,... once per input',
      });
    }
    shapes[inputs[0]!.name] = shapes['']!;
    delete shapes[''];
  }
  for (const [flag, named] of [['--input-shape', shapes], ['--input', options.values ?? {}], ['--data', Object.fromEntries((options.dataInputs ?? []).map((n) => [n, 1]))]] as const) {
    for (const name of Object.keys(named)) {
      if (!names.has(name)) {
        throw new ShrinkmlError('BAD_INPUT', `${model}: ${flag} names input '${name}', which the model does not have (inputs: ${[...names].join(', ')})`, { subject: flag });
      }
    }
  }
  const values = options.values ?? {};
  const dataNames = options.dataInputs?.length ? options.dataInputs
    : [inputs.find((i) => !values[i.name] && (i.dtype === 'float32' || i.dtype === 'float16'))?.name ?? inputs[0]?.name].filter((n): n is string => !!n);
  // Symbolic dims take one value for all inputs: a data input's batch symbol fixes the state tensor's `batch` too.
  const symbols = new Map<string, number | null>();
  let batchFree = false;
  const planned: PlannedInput[] = [];
  const notes: string[] = [];
  const ordered = [...inputs].sort((a, b) => Number(dataNames.includes(b.name)) - Number(dataNames.includes(a.name)));
  for (const info of ordered) {
    const isData = dataNames.includes(info.name);
    const given = shapes[info.name];
    if (given && given.length !== info.shape.length) {
      throw new ShrinkmlError('BAD_INPUT', `${model}: --input-shape ${info.name}=${given.join(',')} has ${given.length} dims; input '${info.name}' has ${info.shape.length} ${fmt(info.shape)}`, { subject: '--input-shape' });
    }
    const dims = info.shape.map((d, axis): number | null => {
      if (given) {
        if (typeof d === 'number' && d > 0 && d !== given[axis]) {
          throw new ShrinkmlError('BAD_INPUT', `${model}: --input-shape ${info.name}=${given.join(',')} contradicts the declared ${fmt(info.shape)} at axis ${axis}`, { subject: '--input-shape' });
        }
        if (typeof d === 'string') symbols.set(d, axis === 0 && isData ? null : given[axis]!);
        // A data input's batch stays free: measurement picks it; the given value serves symbolic dims elsewhere.
        return axis === 0 && isData && typeof d !== 'number' ? null : given[axis]!;
      }
      if (typeof d === 'number' && d > 0) return d;
      if (axis === 0 && isData) {
        if (typeof d === 'string') symbols.set(d, null);
        return null;
      }
      if (typeof d === 'string' && symbols.has(d)) return symbols.get(d)!;
      // An unnamed free dim, the only one of a state-like input, follows the data's free batch (Silero VAD v5's
      // state [2, ?, 128] beside input [?, ?]): what its exporter left unnamed is the batch it was traced with.
      if (typeof d !== 'string' && !isData && batchFree && info.shape.filter((x) => typeof x !== 'number' || x <= 0).length === 1) {
        notes.push(`input '${info.name}' ${fmt(info.shape)}: its free dim at axis ${axis} follows the batch (--input-shape ${info.name}=... sets it)`);
        return null;
      }
      throw new ShrinkmlError('BAD_INPUT', `${model}: input '${info.name}' ${fmt(info.shape)} has a ${typeof d === 'string' ? `symbolic dim '${d}'` : 'free dim'} at axis ${axis}; ${SHAPE_HINT(info.name, info.shape)}`, {
        subject: '--input-shape',
      });
    });
    if (isData) {
      if (dims[0] === null) batchFree = true;
      planned.push({ info, role: 'data', dims });
      continue;
    }
    // A fixed input with a dim that follows the data batch (the data input's symbolic batch, shared).
    const at = dims.indexOf(null);
    const batchAxis = at >= 0 ? at : undefined;
    const spec = values[info.name];
    const value = await fixedValue(model, info, dims.map((d) => d ?? 1), spec);
    const source = spec ?? `${info.dtype.startsWith('float') ? 'zeros' : 'zeros'} (default)`;
    if (!spec) notes.push(`input '${info.name}' ${fmt(info.shape)} fed with zeros (default; set it with --input ${info.name}=...)`);
    planned.push({ info, role: 'fixed', dims, source, value, batchAxis });
  }
  const order = new Map(inputs.map((i, k) => [i.name, k]));
  planned.sort((a, b) => order.get(a.info.name)! - order.get(b.info.name)!);
  const fixed = planned.filter((p) => p.role === 'data').map((p) => p.dims[0]).filter((d): d is number => d !== null);
  return { inputs: planned, fixedBatch: fixed.length ? fixed[0] : undefined, notes };
}

function typedFor(dtype: string, n: number, fill: number): HostTensor['data'] {
  if (dtype === 'int64') return new BigInt64Array(n).fill(BigInt(Math.trunc(fill)));
  if (dtype === 'int32') return new Int32Array(n).fill(fill);
  if (dtype === 'bool' || dtype === 'uint8') return new Uint8Array(n).fill(fill);
  if (dtype === 'int8') return new Int8Array(n).fill(fill);
  return new Float32Array(n).fill(fill);
}

async function fixedValue(model: string, info: ValueInfo, dims: number[], spec: string | undefined): Promise<HostTensor> {
  const n = dims.reduce((a, b) => a * b, 1);
  if (spec === undefined || spec === 'zeros') return { data: typedFor(info.dtype, n, 0), dims };
  if (spec === 'ones') return { data: typedFor(info.dtype, n, 1), dims };
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(spec)) return { data: typedFor(info.dtype, n, Number(spec)), dims };
  if (!/\.npy$/i.test(spec)) {
    throw new ShrinkmlError('BAD_INPUT', `--input ${info.name}=${spec}: expected zeros, ones, a number or a .npy file`, { subject: '--input' });
  }
  const npy: NpyArray = await readNpyFile(spec);
  const count = npy.shape.reduce((a, b) => a * b, 1);
  if (count !== n) {
    throw new ShrinkmlError('BAD_INPUT', `${spec}: shape [${npy.shape.join(', ')}] does not fit input '${info.name}' of ${model} (needs [${dims.join(', ')}])`, { subject: '--input' });
  }
  const data = typedFor(info.dtype, n, 0);
  for (let i = 0; i < n; i++) {
    (data as unknown as number[])[i] = data instanceof BigInt64Array ? BigInt(Math.trunc(npy.data[i]!)) as unknown as number : npy.data[i]!;
  }
  return { data, dims };
}

/** The batch sizes a plan can run: all of them, or only the graph's fixed batch (the rest are skipped with a note). */
export function usableBatchSizes(plan: FeedPlan, wanted: readonly number[]): { sizes: number[]; note?: string } {
  if (plan.fixedBatch === undefined) return { sizes: [...wanted] };
  const skipped = wanted.filter((b) => b !== plan.fixedBatch);
  return {
    sizes: [plan.fixedBatch],
    note: skipped.length ? `the graph fixes batch size ${plan.fixedBatch}: latency at batch ${skipped.join(', ')} skipped` : undefined,
  };
}

/** The value repeated `batch` times along `axis` (where its size is 1). */
function repeat(value: HostTensor, axis: number, batch: number): HostTensor {
  const outer = value.dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = value.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const data = new (value.data.constructor as new (n: number) => HostTensor['data'])(outer * batch * inner);
  for (let o = 0; o < outer; o++) {
    const row = (value.data as Float32Array).subarray(o * inner, (o + 1) * inner);
    for (let b = 0; b < batch; b++) (data as Float32Array).set(row, (o * batch + b) * inner);
  }
  const dims = [...value.dims];
  dims[axis] = batch;
  return { data, dims };
}

function fixedFeed(p: PlannedInput, batch: number): HostTensor {
  return p.batchAxis === undefined ? p.value! : repeat(p.value!, p.batchAxis, batch);
}

/** A dims problem only a feed needs (a symbolic/free dim without --input-shape): weight-only work goes on without it. */
export function isShapeNeeded(e: unknown): boolean {
  return e instanceof ShrinkmlError && e.subject === '--input-shape' && /has a (symbolic|free) dim/.test(e.message);
}

/** Feeds for a synthetic run at `batch` (latency): data inputs filled with 0.5, fixed inputs as planned. */
export function syntheticFeeds(plan: FeedPlan, batch: number): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {};
  for (const p of plan.inputs) {
    if (p.role === 'fixed') { feeds[p.info.name] = fixedFeed(p, batch); continue; }
    const dims = [p.dims[0] ?? batch, ...p.dims.slice(1) as number[]];
    feeds[p.info.name] = { data: typedFor(p.info.dtype, dims.reduce((a, b) => a * b, 1), p.info.dtype.startsWith('float') ? 0.5 : 0), dims };
  }
  return feeds;
}

/**
 * Feeds for samples [start, end) of each data input's dataset (one dataset serves a single data input; with
 * several, `datasets` maps input name → dataset). Layouts follow ./shape.ts; ranks it does not know are fed in the
 * stored order when the element counts agree.
 */
export function datasetFeeds(plan: FeedPlan, datasets: Dataset | Record<string, Dataset>, range: { start: number; end: number }): Record<string, HostTensor> {
  const n = range.end - range.start;
  const feeds: Record<string, HostTensor> = {};
  for (const p of plan.inputs) {
    if (p.role === 'fixed') { feeds[p.info.name] = fixedFeed(p, n); continue; }
    // One dataset holding several inputs' samples (`--data name=...` each) serves them by name.
    const one = 'x' in datasets ? datasets as Dataset : undefined;
    const dataset = one ? (one.inputs ? one.inputs[p.info.name] : one) : (datasets as Record<string, Dataset>)[p.info.name];
    if (!dataset) throw new ShrinkmlError('BAD_INPUT', `no data for input '${p.info.name}'`, { subject: '--data', suggestion: `add --data ${p.info.name}=<file.npy|folder>` });
    feeds[p.info.name] = sampleFeed(dataset, p, range);
  }
  return feeds;
}

function sampleFeed(dataset: Dataset, p: PlannedInput, range: { start: number; end: number }): HostTensor {
  const per = p.dims.slice(1) as number[];
  const size = dataset.sampleShape.reduce((a, b) => a * b, 1);
  const n = range.end - range.start;
  const values = dataset.x.subarray(range.start * size, range.end * size);
  let plan: LayoutPlan | undefined;
  try {
    plan = planLayout(dataset, [null, ...per]);
  } catch (e) {
    // Any rank: the stored order is used as is when the element count matches.
    if (per.reduce((a, b) => a * b, 1) !== size) throw e;
  }
  const data = p.info.dtype.startsWith('float') || p.info.dtype === 'float32' ? values.slice() : typedFor(p.info.dtype, values.length, 0);
  if (!(data instanceof Float32Array) && !(data instanceof BigInt64Array)) for (let i = 0; i < values.length; i++) (data as Int32Array)[i] = values[i]!;
  if (!plan?.transpose) return { data: data instanceof BigInt64Array ? BigInt64Array.from(values, (v) => BigInt(Math.trunc(v))) : data, dims: [n, ...per] };
  const [h, w, c] = plan.view as [number, number, number];
  const out = new Float32Array(values.length);
  for (let s = 0; s < n; s++) {
    const base = s * size;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[base + (k * h + y) * w + x] = values[base + (y * w + x) * c + k]!;
  }
  return { data: out, dims: [n, ...per] };
}
