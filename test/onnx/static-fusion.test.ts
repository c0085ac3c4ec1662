import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/index.js';
import { decodeOnnx, encodeOnnx, graphInputs } from '../../src/formats/onnx/index.js';
import { attr } from '../../src/onnx/attrs.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { calibrateOnnx } from '../../src/onnx/calibrate.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { calibrateAndQuantizeStatic } from '../../src/onnx/static-calibrated.js';
import { absorbClamps } from '../../src/onnx/static-clamp.js';
import { quantizeStatic } from '../../src/onnx/static.js';
import { floatFeed, randomValues } from './fixtures.js';

/**
 * Issue 18 point 3: our static QDQ is the form onnxruntime fuses. The optimized graph onnxruntime-node 1.30.0 writes
 * (session option optimizedModelFilePath, level 'all') has no float Conv/Gemm left: every quantized Conv is a
 * QLinearConv and every Gemm a QGemm, the Relus folded into the output zero point, the MaxPools integer (NHWC), one
 * QuantizeLinear at the input and the last QGemm writing float logits. (Why LeNet-5 is still slower than fp32 is
 * not the pattern: onnxruntime's fast symmetric int8 conv kernel needs input channels % 4 == 0 and ≥ 16 output
 * channels in multiples of 8, which LeNet-5's 1→6 and 6→16 convolutions miss; see bench/results/onnx-int8.md.)
 */
let dir: string;
beforeAll(async () => { await tf.setBackend('cpu'); dir = mkdtempSync(path.join(tmpdir(), 'shrinkml-fusion-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function optimizedOps(bytes: Uint8Array): Promise<string[]> {
  const file = path.join(dir, 'model.onnx');
  const optimized = path.join(dir, 'model.opt.onnx');
  writeFileSync(file, bytes);
  const session = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', optimizedModelFilePath: optimized, logSeverityLevel: 3, intraOpNumThreads: 1 });
  await session.release();
  return decodeOnnx(new Uint8Array(readFileSync(optimized)), 'optimized').model.graph!.node!.map((n) => `${n.domain || 'ai.onnx'}:${n.opType}`);
}

describe('static QDQ fuses into onnxruntime integer kernels', () => {
  it.each([
    ['mnist-lenet5', ['com.microsoft:QLinearConv', 'com.microsoft:QLinearConv', 'com.microsoft:QGemm', 'com.microsoft:QGemm', 'com.microsoft:QGemm']],
    ['mnist-lenet-300-100', ['com.microsoft:QGemm', 'com.microsoft:QGemm', 'com.microsoft:QGemm']],
  ])('%s: the optimized graph computes every layer in integer kernels', async (name, kernels) => {
    const file = `models/onnx/${name}.onnx`;
    const float = decodeOnnx(new Uint8Array(readFileSync(file)), file).model;
    const calib = await loadData({ source: 'mnist', split: 'calibration', limit: 64 });
    const { model } = await calibrateAndQuantizeStatic(float, { calibration: { dataset: calib, input: graphInputs(float, file)[0]! } });
    const ops = await optimizedOps(encodeOnnx(model));
    expect(ops.filter((o) => /QLinear|QGemm|QLinearMatMul|MatMulInteger/.test(o))).toEqual(kernels);
    expect(ops.filter((o) => /:(Conv|Gemm|MatMul|FusedConv|FusedGemm|Relu)$/.test(o))).toEqual([]);
    expect(ops.filter((o) => o.endsWith(':QuantizeLinear')).length).toBe(1);
    // The logits stay float: the last QGemm writes float32 itself (no Q/DQ pair before Softmax).
    expect(ops.filter((o) => o.endsWith(':DequantizeLinear')).length).toBe(0);
    if (name === 'mnist-lenet5') expect(ops.filter((o) => o.endsWith('MaxPool'))).toEqual(['com.microsoft:NhwcMaxPool', 'com.microsoft:NhwcMaxPool']);
  });
});

/**
 * openWakeWord's embedding model (tf2onnx) as a small stack: Conv → LeakyRelu → Max(x, floor) → Conv → LeakyRelu.
 * With no Q on a Conv's output onnxruntime cannot make it a QLinearConv and runs it float on dequantized weights
 * (the real model ran 0.7× fp32 so). With a pair after the Conv and after the Max, whose range starts at the floor
 * so the Q clamps as the Max did and the Max drops (src/onnx/static-clamp.ts), every Conv is integer, the
 * LeakyRelu a uint8 table (QLinearLeakyRelu), and codes flow from the first Q to the last DQ.
 */
function leakyConvModel(floor: number, activation: 'LeakyRelu' | 'Sigmoid' = 'LeakyRelu') {
  const b = new GraphBuilder('leaky');
  const x = b.input('x', ['N', 8, 12, 12]);
  const k = [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1])];
  const act = activation === 'LeakyRelu' ? [attr.float('alpha', 0.2)] : [];
  const lrelu = (t: string) => b.op(activation, [t], { attrs: act });
  const c1 = lrelu(b.op('Conv', [x, b.initializer('w1', [16, 8, 3, 3], randomValues(1152, 3, 0.3)), b.initializer('b1', [16], randomValues(16, 4, 0.1))], { attrs: k }));
  const m = b.op('Max', [c1, b.initializer('floor', [1, 1, 1, 1], [floor])]);
  const c2 = b.op('Conv', [m, b.initializer('w2', [16, 16, 3, 3], randomValues(2304, 5, 0.2)), b.initializer('b2', [16], randomValues(16, 6, 0.1))], { attrs: k });
  b.node(activation, [c2], { outputs: ['y'], attrs: act });
  b.output('y', ['N', 16, 12, 12]);
  return b.model();
}
const batches = [0, 1, 2, 3].map((i) => ({ x: floatFeed([4, 8, 12, 12], 40 + i) }));

describe('static QDQ around table activations and clamps', () => {
  it.each(['LeakyRelu', 'Sigmoid'] as const)('Conv → %s → Max: QLinearConv, the table op, QLinearConv on uint8 codes, the Max dropped, the graph output float', async (activation) => {
    const float = leakyConvModel(activation === 'LeakyRelu' ? -0.4 : 0, activation);
    const { model, report } = await calibrateAndQuantizeStatic(float, { calibration: { batches }, fallback: false });
    expect(report.notes).toContain('1 Max/Min clamps by a constant dropped: the QuantizeLinear after each clamps the same');
    const ops = await optimizedOps(encodeOnnx(model));
    expect(ops.filter((o) => !/:(Transpose|Reshape)$/.test(o))).toEqual(['ai.onnx:QuantizeLinear', 'com.microsoft:QLinearConv', `com.microsoft:QLinear${activation}`,
      'com.microsoft:QLinearConv', 'ai.onnx:DequantizeLinear', `ai.onnx:${activation}`]);
    // uint8 codes between the kernels: the U8S8 form MLAS is fastest at on x86.
    const zp = (n: { input?: string[] }) => model.graph!.initializer!.find((t) => t.name === n.input![2])!.dataType;
    const q = model.graph!.node!.filter((n) => n.opType === 'QuantizeLinear');
    expect(q.map(zp)).toEqual(q.map(() => 2 /* UINT8 */));
    const feeds = { x: floatFeed([2, 8, 12, 12], 99) };
    const y = (await runOnnx({ bytes: encodeOnnx(float), feeds })).y!.data as Float32Array;
    const z = (await runOnnx({ bytes: encodeOnnx(model), feeds })).y!.data as Float32Array;
    let dot = 0; let na = 0; let nb = 0;
    y.forEach((v, i) => { dot += v * z[i]!; na += v * v; nb += z[i]! * z[i]!; });
    expect(dot / Math.sqrt(na * nb)).toBeGreaterThan(0.999);
  });

  it.each([
    [-0.4, 1], // below every LeakyRelu output's calibrated minimum reached: the pair starts at -0.4, the Q clamps there
    [0.3, 0], // above zero: a uint8 range always holds 0, so Q(0.3) is not the lowest code and the Max stays
  ])('Max(x, %s): dropped %i times, and only where the QuantizeLinear gives the same codes (bit-identical outputs)', async (floor, dropped) => {
    const float = leakyConvModel(floor);
    const { ranges } = await calibrateOnnx({ model: float, batches });
    const { model } = quantizeStatic(float, { ranges });
    const { model: absorbed, absorbed: names } = absorbClamps(model);
    expect(names.length).toBe(dropped);
    expect(absorbed.graph!.node!.filter((n) => n.opType === 'Max').length).toBe(1 - dropped);
    const feeds = { x: floatFeed([3, 8, 12, 12], 7, 2) };
    // The clamp is active on these inputs: the float model without it computes something else.
    const unclamped = (await runOnnx({ bytes: encodeOnnx(leakyConvModel(-100)), feeds })).y!.data as Float32Array;
    expect(Array.from((await runOnnx({ bytes: encodeOnnx(float), feeds })).y!.data as Float32Array)).not.toEqual(Array.from(unclamped));
    const a = (await runOnnx({ bytes: encodeOnnx(model), feeds })).y!.data as Float32Array;
    const b = (await runOnnx({ bytes: encodeOnnx(absorbed), feeds })).y!.data as Float32Array;
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
