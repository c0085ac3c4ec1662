import * as tf from '@tensorflow/tfjs';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { layersToOnnx } from '../../src/onnx/convert/index.js';
import { attr } from '../../src/onnx/attrs.js';
import type { ModelProto } from '../../src/formats/onnx/proto.js';

/** Small ONNX graphs built in code, with seeded weights, for the format and compression tests. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomValues(n: number, seed: number, scale = 1): Float32Array {
  const rand = seeded(seed);
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

type Weights = 'initializer' | 'constant';

const store = (b: GraphBuilder, how: Weights, name: string, dims: number[], values: Float32Array) =>
  how === 'initializer' ? b.initializer(name, dims, values) : b.constant(name, dims, values);

/** x[N,16] → MatMul(16x32) + Add → Relu → Gemm(32x10, transB) → y[N,10]. */
export function mlpModel(options: { weights?: Weights; seed?: number; inputs?: number; hidden?: number } = {}): ModelProto {
  const how = options.weights ?? 'initializer';
  const seed = options.seed ?? 1;
  const k = options.inputs ?? 16;
  const hidden = options.hidden ?? 32;
  const b = new GraphBuilder('mlp');
  const x = b.input('x', ['N', k]);
  const w1 = store(b, how, 'w1', [k, hidden], randomValues(k * hidden, seed, 0.5));
  const b1 = store(b, how, 'b1', [hidden], randomValues(hidden, seed + 1, 0.1));
  const h = b.op('Relu', [b.op('Add', [b.op('MatMul', [x, w1]), b1])]);
  const w2 = store(b, how, 'w2', [10, hidden], randomValues(10 * hidden, seed + 2, 0.5));
  const b2 = store(b, how, 'b2', [10], randomValues(10, seed + 3, 0.1));
  b.node('Gemm', [h, w2, b2], { outputs: ['y'], attrs: [attr.int('transB', 1)] });
  b.output('y', ['N', 10]);
  return b.model();
}

/** x[N,1,8,8] → Conv(4,3x3,pad1)+bias → Relu → MaxPool 2 → Conv(6,3x3) → Relu → Flatten → Gemm(24→5) → y. */
export function convModel(options: { weights?: Weights; seed?: number } = {}): ModelProto {
  const how = options.weights ?? 'initializer';
  const seed = options.seed ?? 7;
  const b = new GraphBuilder('conv');
  const x = b.input('x', ['N', 1, 8, 8]);
  const w1 = store(b, how, 'conv1_w', [4, 1, 3, 3], randomValues(36, seed, 0.6));
  const b1 = store(b, how, 'conv1_b', [4], randomValues(4, seed + 1, 0.1));
  const c1 = b.op('Conv', [x, w1, b1], { attrs: [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])] });
  const p1 = b.op('MaxPool', [b.op('Relu', [c1])], { attrs: [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2])] });
  const w2 = store(b, how, 'conv2_w', [6, 4, 3, 3], randomValues(216, seed + 2, 0.3));
  const b2 = store(b, how, 'conv2_b', [6], randomValues(6, seed + 3, 0.1));
  const c2 = b.op('Relu', [b.op('Conv', [p1, w2, b2], { attrs: [attr.ints('kernel_shape', [3, 3])] })]);
  const flat = b.op('Flatten', [c2], { attrs: [attr.int('axis', 1)] });
  const w3 = store(b, how, 'fc_w', [24, 5], randomValues(120, seed + 4, 0.4));
  const b3 = store(b, how, 'fc_b', [5], randomValues(5, seed + 5, 0.1));
  b.node('Gemm', [flat, w3, b3], { outputs: ['y'] });
  b.output('y', ['N', 5]);
  return b.model();
}

/** An If whose branches each hold a MatMul with their own weights: subgraphs must survive untouched. */
export function ifModel(): ModelProto {
  const branch = (name: string, seed: number) => {
    const g = new GraphBuilder(name);
    const w = g.initializer(`${name}_w`, [4, 3], randomValues(12, seed));
    g.node('MatMul', ['x', w], { outputs: [`${name}_y`] });
    g.output(`${name}_y`, ['N', 3]);
    return g.graph();
  };
  const b = new GraphBuilder('if');
  b.input('x', ['N', 4]);
  const cond = b.input('cond', [], 'int64');
  const c = b.op('Cast', [cond], { attrs: [attr.int('to', 9)] });
  b.node('If', [c], { outputs: ['y'], attrs: [attr.graph('then_branch', branch('then', 3)), attr.graph('else_branch', branch('else', 4))] });
  b.output('y', ['N', 3]);
  return b.model();
}

export function floatFeed(dims: number[], seed: number, scale = 1): { data: Float32Array; dims: number[] } {
  return { data: randomValues(dims.reduce((a, c) => a * c, 1), seed, scale), dims };
}

/** A tfjs LeNet-5-like model through the exporter: Conv → BN → Relu → MaxPool chains and Transpose → Flatten → Dense. */
export function exportedLenet(): ModelProto {
  const L = tf.layers;
  const m = tf.sequential({ layers: [
    L.conv2d({ name: 'c1', inputShape: [10, 10, 1], filters: 6, kernelSize: 3, padding: 'same' }),
    L.batchNormalization({ name: 'bn1' }), L.activation({ name: 'r1', activation: 'relu' }), L.maxPooling2d({ name: 'p1', poolSize: 2 }),
    L.conv2d({ name: 'c2', filters: 8, kernelSize: 3 }), L.batchNormalization({ name: 'bn2' }), L.activation({ name: 'r2', activation: 'relu' }),
    L.flatten({ name: 'f' }), L.dense({ name: 'fc', units: 4 }),
  ] });
  m.weights.forEach((w, i) => {
    const v = randomValues(w.shape.reduce((a, b) => a * b, 1), 50 + i, 0.5);
    if (w.originalName.endsWith('moving_variance')) v.forEach((x, j) => { v[j] = Math.abs(x) + 0.5; });
    w.write(tf.tensor(v, w.shape));
  });
  const proto = layersToOnnx(m, { name: 'lenet' });
  m.dispose();
  return proto;
}


/**
 * A streaming-style model with three inputs and two outputs, as voice-activity models are: the data `x[N,16]`, a
 * state `h[2,N,8]` sharing the symbolic batch, and an int64 sample rate `sr[]`. y[N,4] = relu(x·W1 + h[0]) · W2;
 * the new state is h · (sr / 16000), so feeding sr=16000 passes the state through.
 */
export function multiInputModel(seed = 21): ModelProto {
  const b = new GraphBuilder('multi');
  const x = b.input('x', ['N', 16]);
  const h = b.input('h', [2, 'N', 8]);
  const sr = b.input('sr', [], 'int64');
  const w1 = b.initializer('w1', [16, 8], randomValues(128, seed, 0.5));
  const w2 = b.initializer('w2', [8, 4], randomValues(32, seed + 1, 0.5));
  const zero = b.initializer('zero', [], [0], 'int64');
  const first = b.op('Gather', [h, zero], { attrs: [attr.int('axis', 0)] });
  const hidden = b.op('Relu', [b.op('Add', [b.op('MatMul', [x, w1]), first])]);
  b.node('MatMul', [hidden, w2], { outputs: ['y'] });
  const rate = b.op('Div', [b.op('Cast', [sr], { attrs: [attr.int('to', 1)] }), b.initializer('base', [], [16000])]);
  b.node('Mul', [h, rate], { outputs: ['h_next'] });
  b.output('y', ['N', 4]);
  b.output('h_next', [2, 'N', 8]);
  return b.model();
}
