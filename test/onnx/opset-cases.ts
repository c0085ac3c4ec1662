import type { ModelProto } from '../../src/formats/onnx/proto.js';
import { attr } from '../../src/onnx/attrs.js';
import { GraphBuilder, type ElemType } from '../../src/onnx/builder.js';
import type { HostTensor } from '../../src/onnx/runtime.js';
import { floatFeed } from './fixtures.js';

/**
 * Tiny models in the old form of each op the opset converter rewrites, shared by the onnxruntime equality test
 * (opset.test.ts) and the comparison with onnx's own version converter (opset-python.test.ts).
 */
export interface UpgradeCase {
  name: string;
  model: () => ModelProto;
  target: number;
  feeds: Record<string, HostTensor>;
  /** The rewrites the converter reports ('Clip-11': 2). */
  rewritten: Record<string, number>;
  /** Why onnx's converter is not compared: it changes the results (its Resize 10→11 keeps half_pixel coordinates, so
   * linear modes differ), or Debian's onnx 1.12 stops at opset 17. */
  pythonSkip?: string;
}

const x = (dims: number[], seed = 1) => ({ x: floatFeed(dims, seed, 2) });

function single(opset: number, build: (g: GraphBuilder, x: string) => string | string[], inShape: number[], outRank: number | number[], elems: ElemType[] = []): ModelProto {
  const g = new GraphBuilder('case');
  const input = g.input('x', inShape);
  const outs = [build(g, input)].flat();
  const ranks = [outRank].flat();
  outs.forEach((o, i) => g.output(o, Array.from({ length: ranks[i] ?? ranks[0]! }, () => null), elems[i]));
  return g.model({ opset, irVersion: opset >= 11 ? 6 : 4 });
}

export const UPGRADE_CASES: UpgradeCase[] = [
  {
    name: 'Clip-6 min/max attributes → Clip-11 inputs',
    model: () => single(9, (g, i) => {
      const a = g.op('Clip', [i], { attrs: [attr.float('min', -0.3), attr.float('max', 0.4)] });
      return g.op('Clip', [a], { attrs: [attr.float('max', 0.25)] });
    }, [2, 5], 2),
    target: 11, feeds: x([2, 5]), rewritten: { 'Clip-11': 2 },
  },
  {
    name: 'Slice-1 attributes → Slice-10 inputs',
    model: () => single(9, (g, i) => [
      g.op('Slice', [i], { attrs: [attr.ints('starts', [1, -4]), attr.ints('ends', [3, 100]), attr.ints('axes', [0, 1])] }),
      g.op('Slice', [i], { attrs: [attr.ints('starts', [0, 1, 1]), attr.ints('ends', [2, 5, 4])] }),
    ], [3, 6, 5], 3),
    target: 11, feeds: x([3, 6, 5]), rewritten: { 'Slice-10': 2 },
  },
  {
    name: 'Pad-2 attributes → Pad-11 inputs (constant with a value, reflect)',
    model: () => single(10, (g, i) => [
      g.op('Pad', [i], { attrs: [attr.ints('pads', [0, 0, 1, 2, 0, 0, 2, 1]), attr.float('value', 0.5)] }),
      g.op('Pad', [i], { attrs: [attr.ints('pads', [0, 0, 1, 1, 0, 0, 2, 1]), attr.string('mode', 'reflect')] }),
    ], [1, 2, 4, 4], 4),
    target: 11, feeds: x([1, 2, 4, 4]), rewritten: { 'Pad-11': 2 },
  },
  {
    name: 'TopK-1 k attribute → TopK-10 input',
    model: () => single(9, (g, i) => g.node('TopK', [i], { outputs: 2, attrs: [attr.int('k', 3), attr.int('axis', -1)] }), [2, 7], 2, ['float', 'int64']),
    target: 10, feeds: x([2, 7]), rewritten: { 'TopK-10': 1 },
  },
  {
    name: 'Squeeze/Unsqueeze/ReduceSum/Split attributes → opset 13 inputs',
    model: () => single(11, (g, i) => {
      const u = g.op('Unsqueeze', [i], { attrs: [attr.ints('axes', [0, 3])] });
      const s = g.op('Squeeze', [u], { attrs: [attr.ints('axes', [0])] });
      const r = g.op('ReduceSum', [s], { attrs: [attr.ints('axes', [1]), attr.int('keepdims', 1)] });
      const [a, b] = g.node('Split', [r], { outputs: 2, attrs: [attr.int('axis', 0), attr.ints('split', [1, 2])] });
      return [g.op('Squeeze', [b!], { attrs: [attr.ints('axes', [3])] }), a!];
    }, [3, 4, 1], [3, 4]),
    target: 13, feeds: x([3, 4, 1]), rewritten: { 'Unsqueeze-13': 1, 'Squeeze-13': 2, 'ReduceSum-13': 1, 'Split-13': 1 },
  },
  {
    name: 'Softmax/LogSoftmax-11 over the last axis → opset 13',
    model: () => single(11, (g, i) => [
      g.op('Softmax', [i], { attrs: [attr.int('axis', 2)] }),
      g.op('LogSoftmax', [g.op('Relu', [i])], { attrs: [attr.int('axis', -1)] }),
    ], [2, 3, 5], 3),
    target: 13, feeds: x([2, 3, 5]), rewritten: { 'Softmax-13': 1, 'LogSoftmax-13': 1 },
  },
  {
    name: 'Upsample-9 (nearest) → Resize-11',
    model: () => single(9, (g, i) => g.op('Upsample', [i, g.constant('scales', [4], [1, 1, 2, 3])], { attrs: [attr.string('mode', 'nearest')] }), [1, 2, 3, 4], 4),
    target: 11, feeds: x([1, 2, 3, 4]), rewritten: { 'Upsample-10': 1, 'Resize-11': 1 },
  },
  {
    name: 'Upsample-7 (linear, scales attribute) → Resize-11',
    model: () => single(8, (g, i) => g.op('Upsample', [i], { attrs: [attr.string('mode', 'linear'), attr.floats('scales', [1, 1, 2, 2])] }), [1, 1, 3, 4], 4),
    target: 11, feeds: x([1, 1, 3, 4]), rewritten: { 'Upsample-9': 1, 'Upsample-10': 1, 'Resize-11': 1 },
    pythonSkip: "onnx's Resize 10→11 adapter keeps Resize-11's default half_pixel coordinates",
  },
  {
    name: 'Resize-10 downscaling (nearest) → Resize-11',
    model: () => single(10, (g, i) => g.op('Resize', [i, g.initializer('scales', [4], [1, 1, 0.5, 0.5])], { attrs: [attr.string('mode', 'nearest')] }), [1, 1, 6, 6], 4),
    target: 11, feeds: x([1, 1, 6, 6]), rewritten: { 'Resize-11': 1 },
  },
  {
    name: 'BatchNormalization-7 with spatial=1 → opset 13',
    model: () => single(8, (g, i) => {
      const bn = g.op('BatchNormalization', [i, g.initializer('s', [2], [1.5, 0.5]), g.initializer('b', [2], [0.1, -0.2]),
        g.initializer('m', [2], [0.2, 0.1]), g.initializer('v', [2], [1.2, 0.8])], { attrs: [attr.int('spatial', 1)] });
      return g.op('Add', [g.op('Relu', [bn]), g.initializer('bias', [3], [1, 2, 3])]);
    }, [2, 2, 3], 3),
    target: 13, feeds: x([2, 2, 3]), rewritten: { 'BatchNormalization-9': 1 },
  },
  {
    name: 'Scatter-9 → ScatterElements-11, Dropout-10 ratio attribute → Dropout-12 input',
    model: () => single(10, (g, i) => {
      const idx = g.initializer('idx', [1, 2], [2, 0], 'int64');
      const upd = g.initializer('upd', [1, 2], [5, -5]);
      const s = g.op('Scatter', [i, idx, upd], { attrs: [attr.int('axis', 1)] });
      return g.op('Dropout', [s], { attrs: [attr.float('ratio', 0.3)] });
    }, [2, 3], 2),
    target: 12, feeds: x([2, 3]), rewritten: { 'Scatter-11': 1, 'Dropout-12': 1 },
  },
  {
    name: 'ReduceMean axes attribute → opset 18 input, Split without sizes → num_outputs',
    model: () => single(13, (g, i) => {
      const m = g.op('ReduceMean', [i], { attrs: [attr.ints('axes', [-1]), attr.int('keepdims', 1)] });
      const [a, b] = g.node('Split', [g.op('Sub', [i, m])], { outputs: 2, attrs: [attr.int('axis', 0)] });
      return [a!, b!];
    }, [4, 3], 2),
    target: 18, feeds: x([4, 3]), rewritten: { 'ReduceMean-18': 1, 'Split-18': 1 },
    pythonSkip: "Debian's onnx 1.12 converts up to opset 17",
  },
];
