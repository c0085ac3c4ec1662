import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/index.js';
import { encodeOnnx, loadOnnx } from '../../src/formats/onnx/index.js';
import { compressOnnx } from '../../src/onnx/compress.js';
import { evaluateOnnx } from '../../src/onnx/evaluate.js';
import { inspectOnnx } from '../../src/onnx/inspect.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { storeWeights } from '../../src/onnx/weight-only.js';
import { convModel, exportedLenet, floatFeed, mlpModel } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'shrinkml-onnx-compress-'));
beforeAll(async () => { await tf.setBackend('cpu'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function save(name: string, model: ReturnType<typeof mlpModel>): string {
  const file = path.join(dir, name);
  writeFileSync(file, encodeOnnx(model));
  return file;
}

describe('weight-only storage', () => {
  it.each([
    // w1 (8,192 elements) and w2 (640) are stored small; the 1-D biases stay float32.
    ['fp16', 'Cast', 0.56, 1e-3],
    ['int8', 'DequantizeLinear', 0.35, 2e-2],
  ] as const)('%s: smaller file, float compute, close outputs', async (format, op, sizeRatio, tolerance) => {
    const float = mlpModel({ inputs: 128, hidden: 64 });
    const { model, report } = storeWeights(float, { format });
    // Every float weight is listed with its bits.
    const bits = format === 'fp16' ? 16 : 8;
    expect(report.weights.map((w) => [w.weight, w.bits])).toEqual([['w1', bits], ['b1', 32], ['w2', bits], ['b2', 32]]);
    expect(model.graph!.node!.filter((n) => n.opType === op).length).toBe(2);
    expect(encodeOnnx(model).length / encodeOnnx(float).length).toBeLessThan(sizeRatio);
    expect(inspectOnnx(model).quantization).toBe(format === 'fp16' ? 'weight-only-fp16' : 'weight-only-int8');
    const feeds = { x: floatFeed([4, 128], 2) };
    const [a, b] = [(await runOnnx({ bytes: encodeOnnx(float), feeds })).y!, (await runOnnx({ bytes: encodeOnnx(model), feeds })).y!];
    const x = a.data as Float32Array;
    const range = Math.max(...x) - Math.min(...x);
    const err = Math.max(...Array.from(b.data as Float32Array, (v, i) => Math.abs(v - x[i]!)));
    expect(err / range).toBeLessThan(tolerance);
  });
});

describe('compressOnnx', () => {
  it('prune + dynamic INT8: writes, verifies in onnxruntime, reports every pass', async () => {
    const input = save('mlp.onnx', mlpModel({ inputs: 64, hidden: 64, weights: 'constant' }));
    const out = path.join(dir, 'mlp-int8.onnx');
    const result = await compressOnnx({ path: input, out, prune: { sparsity: 0.5 }, quantize: 'dynamic' });
    expect(result.report.prune!.weights.length).toBe(2);
    expect(result.report.quantize!.quantized.map((q) => q.op)).toEqual(['MatMul', 'Gemm']);
    // Random weights have no redundancy, so only the plumbing is checked here (real accuracy: the LeNet test below).
    expect(result.report.verify).toMatchObject({ samples: 64 });
    expect(result.report.verify!.maxAbsError).toBeGreaterThan(0);
    expect(result.report.verify!.top1Agreement).toBeGreaterThan(0);
    expect(result.bytes).toBeLessThan(0.4 * result.inputBytes);
    const written = await loadOnnx(out);
    expect(inspectOnnx(written.model).quantization).toBe('dynamic-int8');
    await expect(compressOnnx({ path: input, out, quantize: 'dynamic' })).rejects.toMatchObject({ code: 'EXISTS' });
    await expect(compressOnnx({ path: input, out: input, quantize: 'dynamic', force: true })).rejects.toMatchObject({ code: 'EXISTS' });
  });

  it('static needs calibration data, and quantize excludes weight-only storage', async () => {
    const input = save('conv.onnx', convModel());
    await expect(compressOnnx({ path: input, out: path.join(dir, 'c.onnx'), quantize: 'static' })).rejects.toThrow(/static quantization needs calibration data/);
    await expect(compressOnnx({ path: input, out: path.join(dir, 'c.onnx'), quantize: 'dynamic', weightStorage: 'fp16' })).rejects.toThrow(/not both/);
  });

  it('channel pruning + static QDQ on a conv model with a synthetic calibration set', async () => {
    const input = save('conv2.onnx', convModel());
    const data = { name: 'synthetic', split: 'calibration' as const, count: 48, sampleShape: [8, 8, 1], x: floatFeed([48 * 64], 8).data.map(Math.abs), files: [] };
    const result = await compressOnnx({ path: input, out: path.join(dir, 'conv2-int8.onnx'), pruneChannels: { fraction: 0.25 }, quantize: 'static', calibration: { data } });
    // round(0.25 · 4) = 1 and round(0.25 · 6) = 2 channels removed.
    expect(result.report.channels!.layers.map((l) => l.after)).toEqual([3, 4]);
    expect(result.report.quantize!.calibration).toEqual({ observer: 'minmax', samples: 48 });
    expect(result.report.verify!.samples).toBe(48);
    expect(inspectOnnx((await loadOnnx(path.join(dir, 'conv2-int8.onnx'))).model).quantization).toBe('static-qdq');
  });

  it('static QDQ folds BatchNormalization first (an exported conv model with BN)', async () => {
    const input = save('lenet.onnx', exportedLenet());
    const x = floatFeed([64 * 100], 12).data.map(Math.abs);
    const data = { name: 'synthetic', split: 'calibration' as const, count: 64, sampleShape: [10, 10, 1], x, files: [] };
    const result = await compressOnnx({ path: input, out: path.join(dir, 'lenet-qdq.onnx'), quantize: 'static', calibration: { data } });
    expect(result.report.foldedBatchNorms!.length).toBe(2);
    expect(result.report.quantize!.quantized.map((q) => q.op)).toEqual(['Conv', 'Conv', 'Gemm']);
    expect(result.report.verify!.top1Agreement).toBeGreaterThanOrEqual(0.9);
  });

  it('inspectOnnx counts ops, stored elements and subgraphs', () => {
    const s = inspectOnnx(mlpModel({ weights: 'constant' }));
    expect(s).toMatchObject({ irVersion: 8, opsets: { 'ai.onnx': 13 }, nodes: 8, subgraphs: 0, quantization: 'none' });
    expect(s.ops).toEqual({ Constant: 4, MatMul: 1, Add: 1, Relu: 1, Gemm: 1 });
    expect(s.elements).toEqual({ float: 16 * 32 + 32 + 320 + 10 });
  });
});
