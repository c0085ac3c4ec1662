import type { AttributeProto, NodeProto } from '../../formats/onnx/proto.js';
import { DataType } from '../../formats/onnx/schema.js';
import { attr, getFloat, getInt, getInts, getString, hasAttr } from '../attrs.js';

/**
 * Rewrites from one form of an op to the next (the `[version, rewrite]` entries of ./ops.ts). Each edits the node
 * in place to its form at `version`, turning attributes into constant inputs (initializers of the node's graph),
 * or blocks with a reason where the old form has no exact equivalent. They mirror onnx's version_converter
 * adapters, except where those change results (its Resize 10→11 keeps the default half_pixel coordinates).
 */
export interface RewriteContext {
  /** Adds a constant as an initializer of the node's graph; returns its (unique) name. */
  constant(base: string, value: { dataType: number; dims: number[]; values: readonly number[] }): string;
  /** The rank of a value when the graph says or implies it. */
  rank(name: string): number | undefined;
  /** The element type (TensorProto.DataType) of a value when the graph says or implies it. */
  elemType(name: string): number | undefined;
  /** The values of a constant (initializer or Constant node), or undefined when computed at run time. */
  constValues(name: string): number[] | undefined;
  /** Stops the upgrade: this node's old form has no exact new form. */
  block(reason: string): never;
}

export type Rewrite = (node: NodeProto, ctx: RewriteContext) => void;

const base = (node: NodeProto, what: string) => `${node.name || node.output?.[0] || node.opType}_${what}`;

function removeAttrs(node: NodeProto, ...names: string[]): void {
  node.attribute = (node.attribute ?? []).filter((a) => !names.includes(a.name ?? ''));
}

function setAttr(node: NodeProto, a: AttributeProto): void {
  removeAttrs(node, a.name ?? '');
  (node.attribute ??= []).push(a);
}

/** Input `index` set to `name`, padding skipped optional inputs with '' (ONNX's "not given"). */
function setInput(node: NodeProto, index: number, name: string): void {
  const inputs = [...(node.input ?? [])];
  while (inputs.length < index) inputs.push('');
  inputs[index] = name;
  node.input = inputs;
}

const int64s = (ctx: RewriteContext, node: NodeProto, what: string, values: number[]) =>
  ctx.constant(base(node, what), { dataType: DataType.INT64, dims: [values.length], values });

/** A float-family scalar of the type of the node's first input (FLOAT when the graph does not say). */
function scalarLike(ctx: RewriteContext, node: NodeProto, what: string, value: number): string {
  const dataType = ctx.elemType(node.input?.[0] ?? '') ?? DataType.FLOAT;
  if (dataType !== DataType.FLOAT && dataType !== DataType.FLOAT16 && dataType !== DataType.DOUBLE) {
    ctx.block(`its input is ${dataType}, not a float type`);
  }
  return ctx.constant(base(node, what), { dataType, dims: [], values: [value] });
}

/** Attributes an op dropped without a change of meaning (consumed_inputs at 6, is_test at 7, ...). */
export const dropAttrs = (...names: string[]): Rewrite => (node) => removeAttrs(node, ...names);

/** An attribute that became required: the old default made explicit. */
export const setDefault = (name: string, value: number | string): Rewrite => (node) => {
  if (hasAttr(node, name)) return;
  setAttr(node, typeof value === 'number' ? attr.int(name, value) : attr.string(name, value));
};

/** Opset 7 binary ops broadcast numpy-style; the old `broadcast` flag matches that only without an `axis`. */
export const legacyBroadcast: Rewrite = (node, ctx) => {
  if (hasAttr(node, 'axis') && getInt(node, 'broadcast', 0) === 1) ctx.block('it broadcasts along a given axis (legacy `axis` attribute)');
  removeAttrs(node, 'broadcast', 'axis', 'consumed_inputs');
};

export const spatialOnly: Rewrite = (node, ctx) => {
  if (getInt(node, 'spatial', 1) !== 1) ctx.block('spatial=0 (per-activation statistics) has no opset 9 form');
  removeAttrs(node, 'spatial');
};

export const oneOutput: Rewrite = (node, ctx) => {
  if ((node.output ?? []).slice(1).some(Boolean)) ctx.block('it has training outputs (mean/var)');
};

export const shapeToInput: Rewrite = (node, ctx) => {
  const shape = getInts(node, 'shape');
  if (!shape) return;
  setInput(node, 1, int64s(ctx, node, 'shape', shape));
  removeAttrs(node, 'shape');
};

export const scalesToInput: Rewrite = (node, ctx) => {
  const scales = node.attribute?.find((a) => a.name === 'scales')?.floats;
  if (!scales) return;
  setInput(node, 1, ctx.constant(base(node, 'scales'), { dataType: DataType.FLOAT, dims: [scales.length], values: scales }));
  removeAttrs(node, 'scales');
};

/** Upsample (deprecated at 10) is Resize-10 with the same inputs; marks the node as upscaling for resize11. */
const upscaling = new WeakSet<NodeProto>();
export const upsampleToResize: Rewrite = (node) => {
  node.opType = 'Resize';
  upscaling.add(node);
};

/**
 * Resize-10 sampled at `x_out / scale` (asymmetric) and, for nearest, floored when upscaling (onnxruntime's
 * legacy mode rounds up when downscaling); Resize-11 says both explicitly and takes an `roi` input.
 */
export const resize11: Rewrite = (node, ctx) => {
  const mode = getString(node, 'mode') ?? 'nearest';
  setAttr(node, attr.string('coordinate_transformation_mode', 'asymmetric'));
  if (mode === 'nearest') {
    const scales = upscaling.has(node) ? undefined : ctx.constValues(node.input?.[1] ?? '');
    if (!upscaling.has(node) && !scales) ctx.block('nearest mode with scales computed at run time (rounding depends on them)');
    const up = upscaling.has(node) || scales!.every((s) => s >= 1);
    if (!up && !scales!.every((s) => s <= 1)) ctx.block('nearest mode that both up- and downscales');
    setAttr(node, attr.string('nearest_mode', up ? 'floor' : 'ceil'));
  }
  const [x = '', scales = ''] = node.input ?? [];
  node.input = [x, ctx.constant(base(node, 'roi'), { dataType: DataType.FLOAT, dims: [0], values: [] }), scales];
};

export const sliceToInputs: Rewrite = (node, ctx) => {
  const starts = getInts(node, 'starts');
  const ends = getInts(node, 'ends');
  if (!starts || !ends) return ctx.block('it has no starts/ends attributes');
  const axes = getInts(node, 'axes');
  setInput(node, 1, int64s(ctx, node, 'starts', starts));
  setInput(node, 2, int64s(ctx, node, 'ends', ends));
  if (axes) setInput(node, 3, int64s(ctx, node, 'axes', axes));
  removeAttrs(node, 'starts', 'ends', 'axes');
};

export const topKToInput: Rewrite = (node, ctx) => {
  if (!hasAttr(node, 'k')) ctx.block('it has no k attribute');
  setInput(node, 1, int64s(ctx, node, 'k', [getInt(node, 'k', 0)]));
  removeAttrs(node, 'k');
};

/** Clip-11 takes min/max as optional inputs; an absent bound stays absent ('' input), as in the attribute form. */
export const clipToInputs: Rewrite = (node, ctx) => {
  const hasMin = hasAttr(node, 'min');
  const hasMax = hasAttr(node, 'max');
  if (hasMin) setInput(node, 1, scalarLike(ctx, node, 'min', getFloat(node, 'min', 0)));
  if (hasMax) setInput(node, 2, scalarLike(ctx, node, 'max', getFloat(node, 'max', 0)));
  removeAttrs(node, 'min', 'max');
};

export const padToInputs: Rewrite = (node, ctx) => {
  const pads = getInts(node, 'pads');
  if (!pads) return ctx.block('it has no pads attribute');
  setInput(node, 1, int64s(ctx, node, 'pads', pads));
  const mode = getString(node, 'mode') ?? 'constant';
  if (mode === 'constant' && getFloat(node, 'value', 0) !== 0) setInput(node, 2, scalarLike(ctx, node, 'value', getFloat(node, 'value', 0)));
  removeAttrs(node, 'pads', 'value');
};

export const scatterElements: Rewrite = (node) => {
  node.opType = 'ScatterElements';
};

export const ratioToInput: Rewrite = (node, ctx) => {
  if (!hasAttr(node, 'ratio')) return;
  setInput(node, 1, ctx.constant(base(node, 'ratio'), { dataType: DataType.FLOAT, dims: [], values: [getFloat(node, 'ratio', 0.5)] }));
  removeAttrs(node, 'ratio');
};

/** Squeeze/Unsqueeze/ReduceSum at 13, the other Reduce ops at 18: `axes` became an input. */
export const axesToInput: Rewrite = (node, ctx) => {
  const axes = getInts(node, 'axes');
  if (!axes) return;
  setInput(node, 1, int64s(ctx, node, 'axes', axes));
  removeAttrs(node, 'axes');
};

export const splitToInput: Rewrite = (node, ctx) => {
  const split = getInts(node, 'split');
  if (!split) return;
  setInput(node, 1, int64s(ctx, node, 'split', split));
  removeAttrs(node, 'split');
};

/** Split-18 wants the number of outputs spelled out when no `split` input gives the sizes. */
export const numOutputs: Rewrite = (node) => {
  if ((node.input ?? [])[1] || hasAttr(node, 'num_outputs')) return;
  setAttr(node, attr.int('num_outputs', (node.output ?? []).length));
};

/**
 * Softmax/LogSoftmax/Hardmax before 13 flatten the input to 2-D at `axis` and normalize each row; from 13 they
 * normalize along `axis` alone. The two agree only when `axis` is the last axis.
 */
export const lastAxisOnly: Rewrite = (node, ctx) => {
  const axis = getInt(node, 'axis', 1);
  const rank = ctx.rank(node.input?.[0] ?? '');
  if (rank === undefined) return ctx.block(`the rank of its input is unknown, so axis ${axis} may not be the last`);
  if ((axis < 0 ? axis + rank : axis) !== rank - 1) ctx.block(`axis ${axis} is not the last axis of its rank-${rank} input`);
  setAttr(node, attr.int('axis', -1));
};

