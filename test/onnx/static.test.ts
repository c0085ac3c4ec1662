import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/types.js';
import { decodeOnnx, encodeOnnx } from '../../src/formats/onnx/index.js';
import { calibrateOnnx } from '../../src/onnx/calibrate.js';
import { argmaxRows } from '../../src/onnx/data.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { quantizeStatic } from '../../src/onnx/static.js';
import { planStatic } from '../../src/onnx/static-plan.js';
import { convModel, floatFeed, mlpModel, randomValues } from './fixtures.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

/** A calibration set of `count` samples shaped like the model input (flat or HWC, as src/data stores them). */
function dataset(sampleShape: number[], count: number, seed: number): Dataset {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  return { name: 'synthetic', split: 'calibration', count, sampleShape, x: randomValues(size * count, seed), files: [] };
}

async function outputs(model: ReturnType<typeof mlpModel>, feeds: Parameters<typeof runOnnx>[0]['feeds'], optimization: 'all' | 'disabled' = 'all') {
  return (await runOnnx({ bytes: encodeOnnx(model), feeds, session: { optimization } })).y!;
}

describe('static INT8 QDQ', () => {
  it.each([
    ['mlp (MatMul + Gemm transB), initializer weights', () => mlpModel(), [16], [64, 16], 'all'],
    ['mlp, Constant-node weights', () => mlpModel({ weights: 'constant' }), [16], [64, 16], 'all'],
    ['conv (Conv + bias, Relu, MaxPool, Gemm)', () => convModel(), [8, 8, 1], [32, 1, 8, 8], 'all'],
    ['conv, Constant-node weights, no graph optimizations', () => convModel({ weights: 'constant' }), [8, 8, 1], [32, 1, 8, 8], 'disabled'],
  ] as const)('%s: calibrated, loads in onnxruntime, within tolerance', async (_name, build, sample, dims, optimization) => {
    const float = build();
    const before = tf.memory().numTensors;
    const calibration = await calibrateOnnx({ model: float, dataset: dataset([...sample], 96, 21), batchSize: 32 });
    expect(tf.memory().numTensors).toBe(before);
    const plan = planStatic(float);
    expect(Object.keys(calibration.ranges).sort()).toEqual([...plan.activations].sort());
    expect(calibration).toMatchObject({ observer: 'minmax', samples: 96 });
    const { model, report } = quantizeStatic(float, { ranges: calibration.ranges });
    decodeOnnx(encodeOnnx(model), 'static.onnx');
    expect(report.quantized.length).toBe(plan.nodes.length);
    const counts = (op: string) => model.graph!.node!.filter((n) => n.opType === op).length;
    // One Q/DQ pair per activation edge; one DQ per weight and per bias.
    expect(counts('QuantizeLinear')).toBe(plan.activations.length);
    const biases = plan.nodes.filter((p) => p.bias).length;
    expect(counts('DequantizeLinear')).toBe(plan.activations.length + plan.nodes.length + biases);
    expect(model.graph!.initializer!.filter((t) => t.dataType === 1 && (t.dims?.length ?? 0) > 1).length).toBe(0);
    const feeds = { x: floatFeed([...dims], 33) };
    const [a, b] = [await outputs(float, feeds), await outputs(model, feeds, optimization)];
    const x = a.data as Float32Array;
    const y = b.data as Float32Array;
    const range = Math.max(...x) - Math.min(...x);
    const maxErr = Math.max(...Array.from(y, (v, i) => Math.abs(v - x[i]!)));
    expect(maxErr / range).toBeLessThan(0.05);
    const cols = a.dims[1]!;
    const agree = argmaxRows(x, cols).filter((c, i) => c === argmaxRows(y, cols)[i]).length / dims[0];
    expect(agree).toBeGreaterThanOrEqual(0.9);
  });

  it('uses int32 biases with scale s_x·s_w and per-channel weight scales on axis 0 for Conv', async () => {
    const float = convModel();
    const { ranges } = await calibrateOnnx({ model: float, dataset: dataset([8, 8, 1], 16, 5) });
    const { model, report } = quantizeStatic(float, { ranges });
    const init = (name: string) => model.graph!.initializer!.find((t) => t.name === name)!;
    expect(init('conv1_w_int8').dataType).toBe(3);
    expect(init('conv1_b_int32').dataType).toBe(6);
    const dq = model.graph!.node!.find((n) => n.name === 'conv1_w_DequantizeLinear')!;
    expect(dq.attribute!.map((a) => [a.name, Number(a.i)])).toEqual([['axis', 0]]);
    const view = (t: ReturnType<typeof init>) => new Float32Array(t.rawData!.slice().buffer);
    const sx = report.activations!.find((a) => a.tensor === 'x')!.scale;
    const sw = view(init('conv1_w_scale'));
    expect(sw.length).toBe(4);
    // The bias scale is not stored: a Mul of the two scales the file holds computes it (exactly fround(s_x · s_w)).
    expect(model.graph!.initializer!.some((t) => t.name === 'conv1_b_scale')).toBe(false);
    const bdq = model.graph!.node!.find((n) => n.name === 'conv1_b_DequantizeLinear')!;
    const mul = model.graph!.node!.find((n) => n.output![0] === bdq.input![1])!;
    expect([mul.opType, ...mul.input!]).toEqual(['Mul', 'x_scale', 'conv1_w_scale']);
    expect(view(init('x_scale'))[0]).toBe(Math.fround(sx));
    const bias = new Int32Array(init('conv1_b_int32').rawData!.slice().buffer);
    const fb = view(float.graph!.initializer!.find((t) => t.name === 'conv1_b')!);
    bias.forEach((q, i) => expect(q * Math.fround(sx * sw[i]!)).toBeCloseTo(fb[i]!, 4));
    // Relu outputs are observed instead of the Conv outputs before them: their zero point is 0.
    const relu = report.activations!.filter((a) => a.tensor.startsWith('relu'));
    expect(relu.length).toBe(2);
    relu.forEach((a) => { expect(a.min).toBe(0); expect(a.zeroPoint).toBe(0); });
  });

  it('names the tensor whose calibration range is missing', () => {
    expect(() => quantizeStatic(mlpModel(), { ranges: {} })).toThrow(/no calibration range for activation 'x'/);
  });

  it('falls back to per-tensor weight scales below opset 13 and says so', async () => {
    const float = mlpModel();
    float.opsetImport![0]!.version = 12;
    const warnings: string[] = [];
    const { ranges } = await calibrateOnnx({ model: float, dataset: dataset([16], 8, 2) });
    const { model, report } = quantizeStatic(float, { ranges, onWarn: (w) => warnings.push(w) });
    expect(warnings).toEqual(['opset 12 has no per-axis DequantizeLinear; weights use one scale per tensor']);
    expect(report.quantized.every((q) => !q.perChannel)).toBe(true);
    const out = await outputs(model, { x: floatFeed([4, 16], 1) });
    expect(out.dims).toEqual([4, 10]);
  });

  it('accepts the other observers of src/quantize (percentile)', async () => {
    const float = mlpModel();
    const minmax = await calibrateOnnx({ model: float, dataset: dataset([16], 64, 9) });
    const pct = await calibrateOnnx({ model: float, dataset: dataset([16], 64, 9), observer: 'percentile', observerOptions: { percentile: 99 } });
    expect(pct.observer).toBe('percentile');
    expect(pct.ranges.x!.max).toBeLessThan(minmax.ranges.x!.max);
    expect(pct.ranges.x!.max).toBeGreaterThan(0.9 * minmax.ranges.x!.max);
  });

  it.each([
    ['mlp', () => mlpModel(), [16], [64, 16]],
    ['conv', () => convModel(), [8, 8, 1], [32, 1, 8, 8]],
  ] as const)('WebGPU target, %s: every 8-bit DequantizeLinear is int8 with a 1-D scale of > 1 entries (WEBGPU_QDQ), within tolerance of float', async (_n, build, sample, dims) => {
    const float = build();
    const calibration = await calibrateOnnx({ model: float, dataset: dataset([...sample], 64, 5), batchSize: 32 });
    const { model } = quantizeStatic(float, { ranges: calibration.ranges, dims: calibration.dims, target: 'webgpu' });
    const init = new Map(model.graph!.initializer!.map((t) => [t.name, t]));
    const dqs = model.graph!.node!.filter((n) => n.opType === 'DequantizeLinear');
    expect(dqs.length).toBeGreaterThan(0);
    for (const n of dqs) {
      const [x, scale, zp] = n.input!.map((i) => init.get(i));
      if (x?.dataType === 6) { expect(zp).toBeUndefined(); continue; } // int32 bias: right on WebGPU either way
      if (zp) expect(zp.dataType, n.name!).toBe(3); // int8, never uint8
      expect(scale!.dims!.map(Number).length, n.name!).toBe(1);
      expect(Number(scale!.dims![0]), n.name!).toBeGreaterThan(1);
    }
    // Only the quantized nodes' inputs get a pair: no output pair onnxruntime would fuse into a QLinearAdd.
    expect(model.graph!.node!.filter((n) => n.opType === 'QuantizeLinear').length).toBe(planStatic(float, { outputs: false }).activations.length);
    const feeds = { x: floatFeed([...dims], 33) };
    const [a, b] = [(await outputs(float, feeds)).data as Float32Array, (await outputs(model, feeds)).data as Float32Array];
    const range = Math.max(...a) - Math.min(...a);
    expect(Math.max(...Array.from(b, (v, i) => Math.abs(v - a[i]!))) / range).toBeLessThan(0.05);
  });
});
