import * as tf from '@tensorflow/tfjs';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../src/runtime/index.js';
import { setInt8Execution } from '../../src/runtime/index.js';
import { selectBackend } from '../../src/backends/index.js';
import { affineParams } from '../../src/core/numerics.js';
import { graphFilesOf, planStaticInt8, rewriteGraph, writeGraphFolder, type GraphFiles, type StaticInt8 } from '../../src/formats/graph/index.js';
import { ACTIVATION_RANGE } from '../../src/runtime/quantize-input.js';
import { calibrateGraphInt8 } from '../../src/quantize/graph-static.js';
import { runCli } from '../cli/run.js';
import { graphModelJson } from '../fixtures/graph.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { emotionSetup, FIXTURES, stock } from './helpers.js';

/**
 * Static int8 compute for graph models (docs/graph-models.md "Static int8 compute"): the writer turns convolutions
 * and matmuls into shrinkml's int8 graph ops; stock tf.loadGraphModel loads the result after
 * `import 'shrinkml/runtime'` and runs the fused int8 kernels on wasm/cpu, a composite of tfjs ops elsewhere.
 */
let tmp: string;

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
  tmp = await makeTmpDir();
});
afterAll(async () => {
  setInt8Execution('auto');
  await selectBackend({ backend: 'wasm' });
  await removeTmpDir(tmp);
});

const argmax = (row: ArrayLike<number>, at: number, n: number) => {
  let best = 0;
  for (let j = 1; j < n; j++) if (row[at + j]! > row[at + best]!) best = j;
  return best;
};
function agreement(a: Float32Array, b: Float32Array, classes: number): number {
  let same = 0;
  for (let r = 0; r < a.length / classes; r++) same += Number(argmax(a, r * classes, classes) === argmax(b, r * classes, classes));
  return same / (a.length / classes);
}
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('human emotion (real GraphModel with depthwise convs), static int8 through stock tf.loadGraphModel', () => {
  let graph: GraphFiles;
  let x: tf.Tensor4D;
  let reference: Float32Array;
  let jsonPath: string;
  let written: tf.io.ModelJSON;
  beforeAll(async () => {
    // Calibration crops (seed 5) are not the crops compared (seed 3).
    const e = await emotionSetup({ compared: 12, calibration: 6 });
    ({ graph, x, reference } = e);
    const calib = e.calib;
    const c = await calibrateGraphInt8({ graph, batches: [{ feed: { input_1: tf.tensor4d(calib.x, [calib.count, 64, 64, 1]) }, samples: calib.count }] });
    const rewritten = rewriteGraph({ json: graph.json, weights: graph.weights, roles: graph.roles, file: graph.file, staticInt8: c.staticInt8 });
    jsonPath = (await writeGraphFolder({ out: path.join(tmp, 'emotion-static'), graph: rewritten })).modelJsonPath;
    written = JSON.parse(readFileSync(jsonPath, 'utf8'));
  });
  afterAll(() => x.dispose());

  const run = async (n = x.shape[0]) => {
    const model = await tf.loadGraphModel(stock(jsonPath));
    const input = x.slice(0, n);
    const y = model.predict(input) as tf.Tensor;
    const out = y.dataSync() as Float32Array;
    tf.dispose([y, input]);
    model.dispose();
    return out;
  };

  it('every convolution runs int8: 9 Conv2D + 4 depthwise, int8 between consecutive int8 ops, one quantize per float→int8 edge', () => {
    const ops = (written.modelTopology as any).node.map((n: any) => n.op) as string[];
    const count = (op: string) => ops.filter((o) => o === op).length;
    expect([count('ShrinkmlConv2DInt8'), count('ShrinkmlDepthwiseConv2DInt8')]).toEqual([9, 4]);
    expect(count('_FusedConv2D') + count('DepthwiseConv2dNative')).toBe(0);
    // The input, the two Add outputs (each read by two int8 ops) and the Relu after the first Add.
    expect(count('ShrinkmlQuantizeInt8')).toBe(4);
    const intOut = (written.modelTopology as any).node.filter((n: any) => n.attr?.out_scale).length;
    expect(intOut).toBeGreaterThanOrEqual(6);
  });

  it('wasm (fused int8 kernels): ≥ 90% top-1 agreement and |Δp| ≤ 0.15 against the float model on 24 real crops', async () => {
    const out = await run();
    expect(agreement(reference, out, 7)).toBeGreaterThanOrEqual(0.9);
    expect(maxDiff(reference, out)).toBeLessThan(0.15);
  });

  it('cpu runs the same int8 arithmetic as wasm (2 crops; the cpu kernels are the references)', async () => {
    const wasm = await run(2);
    await selectBackend({ backend: 'cpu' });
    try {
      expect(maxDiff(await run(2), wasm)).toBeLessThan(1e-5);
    } finally {
      await selectBackend({ backend: 'wasm' });
    }
  });

  it('the composite path (tfjs ops, what webgl/webgpu run) equals the int8 kernels bit for bit', async () => {
    const fused = await run();
    setInt8Execution('emulate');
    try {
      const composite = await run();
      expect(maxDiff(composite, fused)).toBe(0);
      expect(agreement(reference, composite, 7)).toBeGreaterThanOrEqual(0.9);
    } finally {
      setInt8Execution('auto');
    }
  });

  it('loading, running and disposing the int8 model again leaves no tensors behind (packed weights are freed with the model)', async () => {
    await run(1);
    const after = tf.memory().numTensors;
    await run(1);
    expect(tf.memory().numTensors).toBe(after);
  });

  it('the written model is not loadable without shrinkml/runtime: its ops are shrinkml\'s (named in the manifest)', () => {
    expect((written as any).format).toBe('graph-model');
    expect(JSON.stringify(written.modelTopology)).toContain('/shrinkml_q');
  });
});

// ---- each op against a float reference, on a hand-written graph -------------------------------------------------

const dims = (s: number[]) => ({ dim: s.map((v) => ({ size: String(v) })) });
const b64 = (s: string) => Buffer.from(s).toString('base64');
const ints = (v: number[]) => ({ list: { i: v.map(String) } });

/** x [1, 6, 6, 3] → conv 3×3 (bias, Relu6) → depthwise 3×3 stride 2 ×2 (bias, Relu) → conv 1×1 (no bias) → Mean → MatMul (bias). */
function convGraph(seed = 1): { json: any; data: Float32Array } {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const weights: [string, number[]][] = [['c1/w', [3, 3, 3, 8]], ['c1/b', [8]], ['dw/w', [3, 3, 8, 2]], ['dw/b', [16]], ['c2/w', [1, 1, 16, 12]], ['fc/w', [12, 5]], ['fc/b', [5]], ['axes', [2]]];
  const values = weights.map(([n, shape]) => (n === 'axes' ? [1, 2] : Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * (n.endsWith('/b') ? 0.3 : 0.5))));
  const floatT = { type: 'DT_FLOAT' };
  const c = (name: string, shape: number[], dtype = 'DT_FLOAT') => ({ name, op: 'Const', attr: { value: { tensor: { dtype, tensorShape: dims(shape) } }, dtype: { type: dtype } } });
  const conv = { strides: ints([1, 1, 1, 1]), padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') }, dilations: ints([1, 1, 1, 1]), T: floatT };
  const json = {
    format: 'graph-model',
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: floatT, shape: { shape: dims([-1, 6, 6, 3]) } } },
        ...weights.map(([n, shape]) => c(n, shape, n === 'axes' ? 'DT_INT32' : 'DT_FLOAT')),
        { name: 'c1', op: '_FusedConv2D', input: ['x', 'c1/w', 'c1/b'], attr: { ...conv, num_args: { i: '1' }, fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu6')] } } } },
        { name: 'dw', op: 'FusedDepthwiseConv2dNative', input: ['c1', 'dw/w', 'dw/b'], attr: { ...conv, strides: ints([1, 2, 2, 1]), num_args: { i: '1' }, fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu')] } } } },
        { name: 'c2', op: 'Conv2D', input: ['dw', 'c2/w'], attr: conv },
        { name: 'mean', op: 'Mean', input: ['c2', 'axes'], attr: { T: floatT, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } },
        { name: 'fc', op: '_FusedMatMul', input: ['mean', 'fc/w', 'fc/b'], attr: { T: floatT, transpose_a: { b: false }, transpose_b: { b: false }, num_args: { i: '1' }, fused_ops: { list: { s: [b64('BiasAdd')] } } } },
        { name: 'Identity', op: 'Identity', input: ['fc'], attr: { T: floatT } },
      ],
      versions: { producer: 1 },
    },
    weightsManifest: [{ paths: ['w.bin'], weights: weights.map(([name, shape]) => ({ name, shape, dtype: name === 'axes' ? 'int32' : 'float32' })) }],
  };
  const data = new Float32Array(values.flat().length);
  let at = 0;
  values.forEach((v, k) => { if (weights[k]![0] === 'axes') new Int32Array(data.buffer, at * 4, 2).set(v); else data.set(v, at); at += v.length; });
  return { json, data };
}

function graphOf(json: any, data: Float32Array): GraphFiles {
  const weightSpecs = json.weightsManifest[0].weights;
  return graphFilesOf({
    descriptor: { descriptorPath: path.join(tmp, 'synthetic/model.json') }, json, weightSpecs, weightFiles: [],
    artifacts: { weightData: data.slice().buffer, weightSpecs },
  } as any);
}

/**
 * A hand-written graph and its static int8 calibration on `x()`, made in a beforeAll of the calling describe block:
 * the returned object is filled then.
 */
function calibratedGraph({ json, data }: { json: any; data: Float32Array }, x: () => tf.Tensor4D): { graph: GraphFiles; staticInt8: StaticInt8 } {
  const c = {} as { graph: GraphFiles; staticInt8: StaticInt8 };
  beforeAll(async () => {
    c.graph = graphOf(json, data);
    c.staticInt8 = (await calibrateGraphInt8({ graph: c.graph, batches: [{ feed: { x: x() }, samples: 2 }] })).staticInt8;
  });
  return c;
}

const loadSync = (g: ReturnType<typeof rewriteGraph>) =>
  tf.loadGraphModelSync({ load: () => tf.io.getModelArtifactsForJSONSync(g.json as any, g.json.weightsManifest[0]!.weights, g.data.slice().buffer) }) as unknown as tf.GraphModel;

describe('each int8 graph op against a float reference (a hand-written conv → depthwise → conv → mean → matmul graph)', () => {
  const x = () => tf.tensor4d(Array.from({ length: 2 * 6 * 6 * 3 }, (_, i) => Math.sin(i * 0.7) * 1.5), [2, 6, 6, 3]);
  const c = calibratedGraph(convGraph(), x);

  it('plans all four nodes; c1 → dw → c2 hand int8 codes on, the Mean is fed float and the matmul quantizes again', () => {
    expect(c.staticInt8.plan.ops.map((p) => `${p.kind}:${p.node}:${p.activation}`)).toEqual(['conv:c1:relu6', 'depthwise:dw:relu', 'conv:c2:linear', 'matmul:fc:linear']);
    expect(c.staticInt8.plan.tensors).toEqual(['x', 'c1', 'dw', 'mean']);
    const g = rewriteGraph({ json: c.graph.json, weights: c.graph.weights, roles: c.graph.roles, file: c.graph.file, staticInt8: c.staticInt8 });
    const nodes = new Map((g.json.modelTopology as any).node.map((n: any) => [n.name, n]));
    expect(['c1', 'dw', 'c2'].map((n) => Boolean((nodes.get(n) as any).attr.out_scale))).toEqual([true, true, false]);
    expect([...nodes.keys()].filter((n) => n.endsWith('/shrinkml_quantize'))).toEqual(['x/shrinkml_quantize', 'mean/shrinkml_quantize']);
    // Filters are stored as the weights:int8 codes, with a 1-D scale vector and no Mul.
    expect(g.json.weightsManifest[0]!.weights.find((w) => w.name === 'dw/w/shrinkml_scale')!.shape).toEqual([16]);
    expect(nodes.has('dw/w')).toBe(false);
  });

  /** The ops in float: input rounded to its calibrated grid, filter = codes × scales, bias, activation, output grid. */
  function reference(g: ReturnType<typeof rewriteGraph>, input: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => {
      const grid = (t: tf.Tensor, name: string) => {
        const p = affineParams({ ...c.staticInt8.ranges[name]!, range: ACTIVATION_RANGE });
        return tf.mul(tf.sub(tf.clipByValue(tf.add(tf.round(tf.div(t, p.scale)), p.zeroPoint), -128, 127), p.zeroPoint), p.scale);
      };
      const w = (n: string, shape: number[]) => tf.tensor(g.values.get(n)!, shape);
      const b = (n: string) => tf.tensor1d(c.graph.weights.find((v) => v.name === n)!.values as Float32Array);
      let y: tf.Tensor = grid(input, 'x');
      y = grid(tf.clipByValue(tf.add(tf.conv2d(y as tf.Tensor4D, w('c1/w', [3, 3, 3, 8]) as tf.Tensor4D, 1, 'same'), b('c1/b')), 0, 6), 'c1');
      y = grid(tf.relu(tf.add(tf.depthwiseConv2d(y as tf.Tensor4D, w('dw/w', [3, 3, 8, 2]) as tf.Tensor4D, 2, 'same'), b('dw/b'))), 'dw');
      y = tf.conv2d(y as tf.Tensor4D, w('c2/w', [1, 1, 16, 12]) as tf.Tensor4D, 1, 'same');
      y = grid(tf.mean(y, [1, 2]), 'mean');
      return tf.add(tf.matMul(y as tf.Tensor2D, w('fc/w', [12, 5]) as tf.Tensor2D), b('fc/b'));
    });
  }

  it.each(['cpu', 'wasm', 'composite'] as const)('%s: the int8 graph equals the float reference within 1e-4 (exact integer accumulation vs float)', async (how) => {
    await selectBackend({ backend: how === 'cpu' ? 'cpu' : 'wasm' });
    if (how === 'composite') setInt8Execution('emulate');
    try {
      const g = rewriteGraph({ json: c.graph.json, weights: c.graph.weights, roles: c.graph.roles, file: c.graph.file, staticInt8: c.staticInt8 });
      const model = loadSync(g);
      const input = x();
      const got = (model.predict(input) as tf.Tensor).dataSync();
      const want = reference(g, input).dataSync();
      expect(got.length).toBe(10);
      expect(maxDiff(got, want)).toBeLessThan(1e-4);
      // And near the float model itself (8-bit activations and weights).
      const float = loadSync(rewriteGraph({ json: c.graph.json, weights: c.graph.weights, roles: c.graph.roles, file: c.graph.file, mode: 'float32' }));
      expect(maxDiff(got, (float.predict(input) as tf.Tensor).dataSync())).toBeLessThan(0.05);
      model.dispose();
      float.dispose();
      input.dispose();
    } finally {
      setInt8Execution('auto');
      await selectBackend({ backend: 'wasm' });
    }
  });
});

/**
 * Residual blocks: x [1, 6, 6, 3] → c1 3×3 (Relu6) → c2 1×1; a1 = c1 + c2 → c3 1×1 (Relu); a2 = a1 + c3;
 * m = Mean(a2) (keep dims) → c4 1×1; a3 = a2 + c4 (a broadcast: [1, 6, 6, 8] + [1, 1, 1, 8]).
 */
function residualGraph(seed = 3): { json: any; data: Float32Array } {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const weights: [string, number[]][] = [['c1/w', [3, 3, 3, 8]], ['c1/b', [8]], ['c2/w', [1, 1, 8, 8]], ['c2/b', [8]], ['c3/w', [1, 1, 8, 8]],
    ['c3/b', [8]], ['c4/w', [1, 1, 8, 8]], ['c4/b', [8]], ['axes', [2]]];
  const values = weights.map(([n, shape]) => (n === 'axes' ? [1, 2] : Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * (n.endsWith('/b') ? 0.3 : 0.5))));
  const floatT = { type: 'DT_FLOAT' };
  const c = (name: string, shape: number[], dtype = 'DT_FLOAT') => ({ name, op: 'Const', attr: { value: { tensor: { dtype, tensorShape: dims(shape) } }, dtype: { type: dtype } } });
  const conv = (name: string, input: string, act?: string) => ({ name, op: '_FusedConv2D', input: [input, `${name}/w`, `${name}/b`], attr: {
    strides: ints([1, 1, 1, 1]), padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') }, dilations: ints([1, 1, 1, 1]), T: floatT,
    num_args: { i: '1' }, fused_ops: { list: { s: [b64('BiasAdd'), ...(act ? [b64(act)] : [])] } } } });
  const add = (name: string, a: string, b: string) => ({ name, op: 'AddV2', input: [a, b], attr: { T: floatT } });
  const json = {
    format: 'graph-model',
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: floatT, shape: { shape: dims([-1, 6, 6, 3]) } } },
        ...weights.map(([n, shape]) => c(n, shape, n === 'axes' ? 'DT_INT32' : 'DT_FLOAT')),
        conv('c1', 'x', 'Relu6'), conv('c2', 'c1'), add('a1', 'c1', 'c2'), conv('c3', 'a1', 'Relu'), add('a2', 'a1', 'c3'),
        { name: 'm', op: 'Mean', input: ['a2', 'axes'], attr: { T: floatT, Tidx: { type: 'DT_INT32' }, keep_dims: { b: true } } },
        conv('c4', 'm'), add('a3', 'a2', 'c4'),
        { name: 'Identity', op: 'Identity', input: ['a3'], attr: { T: floatT } },
      ],
      versions: { producer: 1 },
    },
    weightsManifest: [{ paths: ['w.bin'], weights: weights.map(([name, shape]) => ({ name, shape, dtype: name === 'axes' ? 'int32' : 'float32' })) }],
  };
  const data = new Float32Array(values.flat().length);
  let at = 0;
  values.forEach((v, k) => { if (weights[k]![0] === 'axes') new Int32Array(data.buffer, at * 4, 2).set(v); else data.set(v, at); at += v.length; });
  return { json, data };
}

describe('the int8 Add: residual blocks stay int8 (a hand-written graph of three Adds)', () => {
  const x = () => tf.tensor4d(Array.from({ length: 2 * 6 * 6 * 3 }, (_, i) => Math.cos(i * 0.37) * 1.2), [2, 6, 6, 3]);
  const c = calibratedGraph(residualGraph(), x);

  it('plans the three Adds; a1 hands int8 on, a2 (read by the float Mean) and a3 (the output) give float; quantize only x, a2 and m', () => {
    expect(c.staticInt8.plan.adds).toEqual([
      { node: 'a1', inputs: ['c1', 'c2'], channels: 8 }, { node: 'a2', inputs: ['a1', 'c3'], channels: 8 }, { node: 'a3', inputs: ['a2', 'c4'], channels: 8 },
    ]);
    const g = rewriteGraph({ json: c.graph.json, weights: c.graph.weights, roles: c.graph.roles, file: c.graph.file, staticInt8: c.staticInt8 });
    const nodes = new Map((g.json.modelTopology as any).node.map((n: any) => [n.name, n]));
    expect(['a1', 'a2', 'a3'].map((n) => (nodes.get(n) as any).op)).toEqual(['ShrinkmlAddInt8', 'ShrinkmlAddInt8', 'ShrinkmlAddInt8']);
    expect(['c1', 'c2', 'a1', 'c3', 'a2', 'c4', 'a3'].map((n) => Boolean((nodes.get(n) as any).attr.out_scale))).toEqual([true, true, true, true, false, true, false]);
    expect([...nodes.keys()].filter((n) => n.endsWith('/shrinkml_quantize'))).toEqual(['x/shrinkml_quantize', 'm/shrinkml_quantize', 'a2/shrinkml_quantize']);
    expect((nodes.get('a3') as any).input).toEqual(['a2/shrinkml_quantize', 'c4']);
  });

  /** In float: every int8 tensor rounded to its calibrated grid, sums of values on their grids, the written (float16) biases. */
  function reference(g: ReturnType<typeof rewriteGraph>, input: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => {
      const grid = (t: tf.Tensor, name: string) => {
        const p = affineParams({ ...c.staticInt8.ranges[name]!, range: ACTIVATION_RANGE });
        return tf.mul(tf.sub(tf.clipByValue(tf.add(tf.round(tf.div(t, p.scale)), p.zeroPoint), -128, 127), p.zeroPoint), p.scale);
      };
      const conv = (y: tf.Tensor, n: string, shape: number[]) => tf.add(tf.conv2d(y as tf.Tensor4D, tf.tensor(g.values.get(`${n}/w`)!, shape) as tf.Tensor4D, 1, 'same'),
        tf.tensor1d(g.values.get(`${n}/b`)!));
      const c1 = grid(tf.clipByValue(conv(grid(input, 'x'), 'c1', [3, 3, 3, 8]), 0, 6), 'c1');
      const c2 = grid(conv(c1, 'c2', [1, 1, 8, 8]), 'c2');
      const a1 = grid(tf.add(c1, c2), 'a1');
      const c3 = grid(tf.relu(conv(a1, 'c3', [1, 1, 8, 8])), 'c3');
      const a2 = tf.add(a1, c3);
      const c4 = grid(conv(grid(tf.mean(a2, [1, 2], true), 'm'), 'c4', [1, 1, 8, 8]), 'c4');
      return tf.add(grid(a2, 'a2'), c4);
    });
  }

  const outputs = new Map<string, Float32Array>();
  it.each(['cpu', 'wasm', 'composite'] as const)('%s: equals the float reference within 1e-4 (wasm = cpu bit for bit) and the float model within 0.05', async (how) => {
    await selectBackend({ backend: how === 'cpu' ? 'cpu' : 'wasm' });
    if (how === 'composite') setInt8Execution('emulate');
    try {
      const g = rewriteGraph({ json: c.graph.json, weights: c.graph.weights, roles: c.graph.roles, file: c.graph.file, staticInt8: c.staticInt8 });
      const model = loadSync(g);
      const input = x();
      const got = (model.predict(input) as tf.Tensor).dataSync();
      expect(got.length).toBe(2 * 6 * 6 * 8);
      const want = reference(g, input).dataSync();
      expect(maxDiff(got, want)).toBeLessThan(1e-4);
      outputs.set(how, got as Float32Array);
      if (how === 'wasm') expect(maxDiff(got, outputs.get('cpu')!)).toBe(0);
      const float = loadSync(rewriteGraph({ json: c.graph.json, weights: c.graph.weights, roles: c.graph.roles, file: c.graph.file, mode: 'float32' }));
      expect(maxDiff(got, (float.predict(input) as tf.Tensor).dataSync())).toBeLessThan(0.05);
      model.dispose();
      float.dispose();
      input.dispose();
    } finally {
      setInt8Execution('auto');
      await selectBackend({ backend: 'wasm' });
    }
  });
});

/**
 * Pools on codes: x [2, 8, 8, 3] → c1 3×3 (Relu6) → MaxPool 2×2/2 → c2 3×3 (Relu, 10 channels: packed rows with pad
 * bytes) → AvgPool 4×4 VALID (global) → Squeeze [1, 2] → fc MatMul (bias): MobileNetV2's head in small.
 */
function poolGraph(seed = 5): { json: any; data: Float32Array } {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const weights: [string, number[]][] = [['c1/w', [3, 3, 3, 8]], ['c1/b', [8]], ['c2/w', [3, 3, 8, 10]], ['c2/b', [10]], ['fc/w', [10, 5]], ['fc/b', [5]]];
  const values = weights.map(([n, shape]) => Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * (n.endsWith('/b') ? 0.3 : 0.5)));
  const floatT = { type: 'DT_FLOAT' };
  const c = (name: string, shape: number[]) => ({ name, op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(shape) } }, dtype: { type: 'DT_FLOAT' } } });
  const conv = (name: string, input: string, act: string) => ({ name, op: '_FusedConv2D', input: [input, `${name}/w`, `${name}/b`], attr: {
    strides: ints([1, 1, 1, 1]), padding: { s: b64('SAME') }, data_format: { s: b64('NHWC') }, dilations: ints([1, 1, 1, 1]), T: floatT,
    num_args: { i: '1' }, fused_ops: { list: { s: [b64('BiasAdd'), b64(act)] } } } });
  const pool = (name: string, op: string, input: string, k: number, stride: number) => ({ name, op, input: [input], attr: {
    ksize: ints([1, k, k, 1]), strides: ints([1, stride, stride, 1]), padding: { s: b64('VALID') }, data_format: { s: b64('NHWC') }, T: floatT } });
  const json = {
    format: 'graph-model',
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: floatT, shape: { shape: dims([-1, 8, 8, 3]) } } },
        ...weights.map(([n, shape]) => c(n, shape)),
        conv('c1', 'x', 'Relu6'), pool('mp', 'MaxPool', 'c1', 2, 2), conv('c2', 'mp', 'Relu'), pool('ap', 'AvgPool', 'c2', 4, 1),
        { name: 'sq', op: 'Squeeze', input: ['ap'], attr: { T: floatT, squeeze_dims: ints([1, 2]) } },
        { name: 'fc', op: '_FusedMatMul', input: ['sq', 'fc/w', 'fc/b'], attr: { T: floatT, transpose_a: { b: false }, transpose_b: { b: false }, num_args: { i: '1' }, fused_ops: { list: { s: [b64('BiasAdd')] } } } },
        { name: 'Identity', op: 'Identity', input: ['fc'], attr: { T: floatT } },
      ],
      versions: { producer: 1 },
    },
    weightsManifest: [{ paths: ['w.bin'], weights: weights.map(([name, shape]) => ({ name, shape, dtype: 'float32' })) }],
  };
  return { json, data: Float32Array.from(values.flat()) };
}

describe('int8 pooling: MaxPool and a global AvgPool run on codes, so the head stays int8 into the MatMul', () => {
  const x = () => tf.tensor4d(Array.from({ length: 2 * 8 * 8 * 3 }, (_, i) => Math.sin(i * 0.53) * 1.4), [2, 8, 8, 3]);
  const c = calibratedGraph(poolGraph(), x);
  const rewrite = () => rewriteGraph({ json: c.graph.json, weights: c.graph.weights, roles: c.graph.roles, file: c.graph.file, staticInt8: c.staticInt8 });

  it('plans both pools (the AvgPool through its Squeeze); codes flow from the one quantize of x to the MatMul on c2\'s grid', () => {
    expect(c.staticInt8.plan.pools).toEqual([{ node: 'mp', input: 'c1', pooling: 'max' }, { node: 'ap', input: 'c2', pooling: 'avg', squeeze: 'sq' }]);
    expect(c.staticInt8.plan.tensors).toEqual(['x', 'mp', 'sq', 'c1', 'c2']);
    const nodes = new Map((rewrite().json.modelTopology as any).node.map((n: any) => [n.name, n]));
    expect(['mp', 'ap', 'sq'].map((n) => (nodes.get(n) as any).op)).toEqual(['ShrinkmlPoolInt8', 'ShrinkmlPoolInt8', 'Squeeze']);
    expect([...nodes.keys()].filter((n) => n.endsWith('/shrinkml_quantize'))).toEqual(['x/shrinkml_quantize']);
    expect(['c1', 'c2', 'fc'].map((n) => Boolean((nodes.get(n) as any).attr.out_scale))).toEqual([true, true, false]);
    const c2 = affineParams({ ...c.staticInt8.ranges.c2!, range: ACTIVATION_RANGE });
    expect([(nodes.get('fc') as any).attr.a_scale.f, Number((nodes.get('fc') as any).attr.a_zero_point.i)]).toEqual([c2.scale, c2.zeroPoint]);
  });

  /** In float: grids as the int8 ops keep them; the average of c2's codes rounded half to even (tf.round), on c2's grid. */
  function reference(g: ReturnType<typeof rewriteGraph>, input: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => {
      const params = (name: string) => affineParams({ ...c.staticInt8.ranges[name]!, range: ACTIVATION_RANGE });
      const codes = (t: tf.Tensor, name: string) => tf.clipByValue(tf.add(tf.round(tf.div(t, params(name).scale)), params(name).zeroPoint), -128, 127);
      const grid = (t: tf.Tensor, name: string) => tf.mul(tf.sub(codes(t, name), params(name).zeroPoint), params(name).scale);
      const conv = (y: tf.Tensor, n: string, shape: number[]) => tf.add(tf.conv2d(y as tf.Tensor4D, tf.tensor(g.values.get(`${n}/w`)!, shape) as tf.Tensor4D, 1, 'same'),
        tf.tensor1d(c.graph.weights.find((v) => v.name === `${n}/b`)!.values as Float32Array));
      const c1 = grid(tf.clipByValue(conv(grid(input, 'x'), 'c1', [3, 3, 3, 8]), 0, 6), 'c1');
      const c2 = tf.relu(conv(tf.maxPool(c1 as tf.Tensor4D, 2, 2, 'valid'), 'c2', [3, 3, 8, 10]));
      const pooled = tf.round(tf.avgPool(codes(c2, 'c2') as tf.Tensor4D, 4, 1, 'valid'));
      const head = tf.mul(tf.sub(tf.reshape(pooled, [-1, 10]), params('c2').zeroPoint), params('c2').scale);
      return tf.add(tf.matMul(head as tf.Tensor2D, tf.tensor(g.values.get('fc/w')!, [10, 5]) as tf.Tensor2D), tf.tensor1d(c.graph.weights.find((v) => v.name === 'fc/b')!.values as Float32Array));
    });
  }

  const outputs = new Map<string, Float32Array>();
  it.each(['cpu', 'wasm', 'composite'] as const)('%s: equals the float reference within 1e-4 (wasm = cpu bit for bit) and the float model within 0.05', async (how) => {
    await selectBackend({ backend: how === 'cpu' ? 'cpu' : 'wasm' });
    if (how === 'composite') setInt8Execution('emulate');
    try {
      const g = rewrite();
      const model = loadSync(g);
      const input = x();
      const got = (model.predict(input) as tf.Tensor).dataSync() as Float32Array;
      expect(got.length).toBe(10);
      expect(maxDiff(got, reference(g, input).dataSync())).toBeLessThan(1e-4);
      outputs.set(how, got);
      if (how === 'wasm') expect(maxDiff(got, outputs.get('cpu')!)).toBe(0);
      const float = loadSync(rewriteGraph({ json: c.graph.json, weights: c.graph.weights, roles: c.graph.roles, file: c.graph.file, mode: 'float32' }));
      expect(maxDiff(got, (float.predict(input) as tf.Tensor).dataSync())).toBeLessThan(0.05);
      model.dispose();
      float.dispose();
      input.dispose();
    } finally {
      setInt8Execution('auto');
      await selectBackend({ backend: 'wasm' });
    }
  });
});

describe('compress --quantize static --data <image folder> (the CLI, real photos)', () => {
  it('writes a model that stock tf.loadGraphModel loads after shrinkml/runtime, with every convolution int8 and the step in report.json', async () => {
    const out = path.join(tmp, 'cli-emotion');
    const r = await runCli('compress', path.join(FIXTURES, 'emotion/emotion.json'), '--quantize', 'static', '--data', path.join(FIXTURES, 'photos'),
      '--input-range', '-1,1', '--no-latency', '--backend', 'wasm', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    const step = report.steps.find((st: any) => st.step === 'ptq');
    expect(step.summary.int8Nodes).toHaveLength(13);
    expect(step.summary.notes).toEqual([]);
    const model = await tf.loadGraphModel(stock(path.join(out, 'model.json')));
    const y = model.predict(tf.zeros([1, 64, 64, 1])) as tf.Tensor;
    expect(y.shape).toEqual([1, 7]);
    expect(Math.abs(y.sum().dataSync()[0]! - 1)).toBeLessThan(1e-4);
    model.dispose();
  });
});

describe('attribute strings as byte arrays (older converters write them so, newer ones base64)', () => {
  it('plans the same int8 ops from either form', () => {
    const { json, data } = convGraph();
    const base = graphOf(json, data);
    const bytes = (s: string) => [...Buffer.from(s)];
    const old = structuredClone(json);
    for (const n of old.modelTopology.node) {
      for (const a of ['padding', 'data_format']) if (n.attr?.[a]?.s) n.attr[a].s = bytes(Buffer.from(n.attr[a].s, 'base64').toString());
      if (n.attr?.fused_ops) n.attr.fused_ops.list.s = n.attr.fused_ops.list.s.map((v: string) => bytes(Buffer.from(v, 'base64').toString()));
    }
    const byteGraph = graphOf(old, data);
    const plan = (g: GraphFiles) => planStaticInt8({ json: g.json, weights: g.weights, roles: g.roles, file: g.file });
    const a = plan(base);
    const b = plan(byteGraph);
    expect(a.ops.map((p) => p.node)).toEqual(['c1', 'dw', 'c2', 'fc']);
    expect(b.ops).toEqual(a.ops);
    expect(b.notes).toEqual(a.notes);
  });
});

describe('bad input', () => {
  it('a convolution the int8 ops cannot run (dilated) stays float with a note naming it; the rest runs int8', async () => {
    const { json, data } = convGraph();
    const c2 = json.modelTopology.node.find((n: any) => n.name === 'c2');
    c2.attr.dilations = ints([1, 2, 2, 1]);
    const graph = graphOf(json, data);
    const plan = planStaticInt8({ json: graph.json, weights: graph.weights, roles: graph.roles, file: graph.file });
    expect(plan.notes).toEqual(['c2 (Conv2D): dilated convolution; stays float']);
    const { staticInt8 } = await calibrateGraphInt8({ graph, batches: [{ feed: { x: tf.ones([1, 6, 6, 3]) }, samples: 1 }] });
    const g = rewriteGraph({ json: graph.json, weights: graph.weights, roles: graph.roles, file: graph.file, staticInt8 });
    const ops = new Map((g.json.modelTopology as any).node.map((n: any) => [n.name, n.op]));
    expect([ops.get('c1'), ops.get('dw'), ops.get('c2'), ops.get('fc')]).toEqual(['ShrinkmlConv2DInt8', 'ShrinkmlDepthwiseConv2DInt8', 'Conv2D', 'ShrinkmlMatMulInt8']);
    // The float conv reads its filter through weights:int8's codes × scales (a Mul named like the filter).
    expect(ops.get('c2/w')).toBe('Mul');
    const model = loadSync(g);
    const y = model.predict(tf.ones([1, 6, 6, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 5]);
    model.dispose();
  });

  it('compress --quantize static on a graph with no node that can run int8: one line naming the node, exit 2, nothing written', async () => {
    const dir = path.join(tmp, 'no-int8');
    await fsp.mkdir(dir, { recursive: true });
    const json = graphModelJson(4, 3) as any;
    json.modelTopology.node.find((n: any) => n.op === 'MatMul').attr.transpose_a = { b: true };
    json.modelTopology.node[0].attr.shape = { shape: dims([4, 4]) };
    await fsp.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    await fsp.writeFile(path.join(dir, 'group1-shard1of1.bin'), new Uint8Array(new Float32Array(15).fill(0.5).buffer));
    // .npy calibration data: 8 samples of 4 values.
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (8, 4), }";
    const padded = header + ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
    const npy = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), Buffer.from(new Uint16Array([padded.length]).buffer), Buffer.from(padded), Buffer.from(new Float32Array(32).fill(1).buffer)]);
    await fsp.writeFile(path.join(dir, 'x.npy'), npy);
    const out = path.join(tmp, 'no-int8-out');
    const r = await runCli('compress', path.join(dir, 'model.json'), '--quantize', 'static', '--data', path.join(dir, 'x.npy'), '--backend', 'wasm', '--out', out);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n').filter((l) => l.includes('error'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no node can run int8: MatMul \(MatMul\): transpose_a/);
    expect(existsSync(out)).toBe(false);
  });
});
