import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeOnnx, loadOnnx } from '../../src/formats/onnx/index.js';
import { inspectOnnx } from '../../src/onnx/inspect.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { storeWeights } from '../../src/onnx/weight-only.js';
import { compress } from '../../src/pipeline/index.js';
import { writeNpy } from '../data/fixtures.js';
import { convModel, exportedLenet, floatFeed, mlpModel, multiInputModel } from './fixtures.js';

/** ONNX through the one pipeline (src/pipeline's compress): the same config, report and lineage as tfjs. */
const dir = mkdtempSync(path.join(tmpdir(), 'shrinkml-onnx-compress-'));
beforeAll(async () => { await tf.setBackend('cpu'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function save(name: string, model: ReturnType<typeof mlpModel>): string {
  const file = path.join(dir, name);
  writeFileSync(file, encodeOnnx(model));
  return file;
}

/** n synthetic samples of `shape` as a .npy file (non-negative, like pixels). */
function npy(name: string, n: number, shape: number[], seed: number): string {
  const size = shape.reduce((a, b) => a * b, 1);
  return writeNpy(path.join(dir, name), [n, ...shape], Array.from(floatFeed([n * size], seed).data, Math.abs), '<f4');
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
    const feeds = { x: floatFeed([4, 128], 2) };
    const [a, b] = [(await runOnnx({ bytes: encodeOnnx(float), feeds })).y!, (await runOnnx({ bytes: encodeOnnx(model), feeds })).y!];
    const x = a.data as Float32Array;
    const range = Math.max(...x) - Math.min(...x);
    const err = Math.max(...Array.from(b.data as Float32Array, (v, i) => Math.abs(v - x[i]!)));
    expect(err / range).toBeLessThan(tolerance);
  });
});

describe('compress(input.onnx, output.onnx)', () => {
  it('prune + dynamic INT8: steps as data, the report and lineage of the one pipeline, measured against the input', async () => {
    const input = save('mlp.onnx', mlpModel({ inputs: 64, hidden: 64, weights: 'constant' }));
    const out = path.join(dir, 'mlp-int8.onnx');
    const data = npy('mlp-x.npy', 40, [64], 3);
    const { report, measurement, lineage } = await compress(input, out, { prune: 'magnitude:0.5', quantize: 'dynamic', data });
    expect(report.pipeline.steps.map((s) => s.step)).toEqual(['prune', 'ptq']);
    expect(report.steps[0]!.summary.sparsity).toBeCloseTo(0.5, 2);
    expect((report.steps[1]!.summary.quantize as { quantized: { op: string }[] }).quantized.map((q) => q.op)).toEqual(['MatMul', 'Gemm']);
    // Random weights have no redundancy: the plumbing is checked here (real accuracy: the CLI's LeNet test).
    expect(measurement.samples).toBe(40);
    expect(measurement.cosine).toBeGreaterThan(0.8);
    expect(measurement.mse).toBeGreaterThan(0);
    expect(report.output.metrics.bytes).toBeLessThan(0.5 * report.input.metrics.bytes);
    expect(report.backend).toBe('onnxruntime-node');
    expect(lineage.weightsHash).toMatch(/^sha256:/);
    expect(readFileSync(path.join(dir, 'mlp-int8.report.json'), 'utf8')).toContain('"kind": "compress"');
    expect(inspectOnnx((await loadOnnx(out)).model).quantization).toBe('dynamic-int8');
    await expect(compress(input, out, { quantize: 'dynamic' })).rejects.toMatchObject({ code: 'EXISTS' });
    await expect(compress(input, input, { quantize: 'dynamic', force: true })).rejects.toMatchObject({ code: 'EXISTS' });
  });

  it('static needs calibration data; an unsupported step is one error before anything is written', async () => {
    const input = save('conv.onnx', convModel());
    const out = path.join(dir, 'c.onnx');
    await expect(compress(input, out, { quantize: 'static' })).rejects.toThrow(/static quantization needs calibration data/);
    await expect(compress(input, out, { distillFrom: 'source' })).rejects.toThrow(/steps\[0\] 'distill' does not run on ONNX models/);
    await expect(compress(input, out, { quantize: 'qat' })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    expect(existsSync(out)).toBe(false);
  });

  it('channel pruning + static QDQ on a conv model calibrated on .npy samples (NHWC data into an NCHW input)', async () => {
    const input = save('conv2.onnx', convModel());
    const data = npy('conv-x.npy', 48, [8, 8, 1], 8);
    const { report } = await compress(input, path.join(dir, 'conv2-int8.onnx'), { prune: 'structured:0.25', quantize: 'static', data });
    // round(0.25 · 4) = 1 and round(0.25 · 6) = 2 channels removed.
    expect((report.steps[0]!.summary.channels as { layers: { after: number }[] }).layers.map((l) => l.after)).toEqual([3, 4]);
    expect((report.steps[1]!.summary.quantize as { calibration: unknown }).calibration).toMatchObject({ observer: 'minmax' });
    expect(inspectOnnx((await loadOnnx(path.join(dir, 'conv2-int8.onnx'))).model).quantization).toBe('static-qdq');
  });

  it('static QDQ folds BatchNormalization first (an exported conv model with BN) and agrees with the input', async () => {
    const input = save('lenet.onnx', exportedLenet());
    const data = npy('lenet-x.npy', 64, [10, 10, 1], 12);
    const { report, measurement } = await compress(input, path.join(dir, 'lenet-qdq.onnx'), { quantize: 'static', data });
    expect((report.steps[0]!.summary.foldedBatchNorms as unknown[]).length).toBe(2);
    expect(measurement.agreement).toBeGreaterThanOrEqual(0.9);
  });

  it('presets and config files run on ONNX where the adapter supports the steps (clustering one-shot)', async () => {
    const input = save('mlp3.onnx', mlpModel({ inputs: 128, hidden: 64 }));
    const config = { steps: [{ step: 'prune', options: { method: 'magnitude:0.5:global' } }, { step: 'cluster', options: { clusters: 16 } }] };
    const { report } = await compress(input, path.join(dir, 'mlp3-small.onnx'), { config });
    expect(report.steps.map((s) => s.step)).toEqual(['prune', 'cluster']);
    const back = await loadOnnx(path.join(dir, 'mlp3-small.onnx'));
    // Every kernel holds at most 16 distinct values (zero included); the file stays float, gzip shrinks it.
    const { onnxFormat } = await import('../../src/formats/onnx/adapter.js');
    for (const w of onnxFormat.weights(back).filter((k) => k.role === "kernel")) expect(new Set(await w.read()).size).toBeLessThanOrEqual(16);
    expect(report.output.metrics.gzipBytes).toBeLessThan(0.5 * report.input.metrics.gzipBytes);
    const balanced = await compress(input, path.join(dir, 'mlp3-edge.onnx'), { preset: 'edge' }).catch((e: Error) => e);
    // A preset is run or refused with the one step/format error, never half-applied.
    if (balanced instanceof Error) expect(balanced.message).toMatch(/does not run on ONNX models|on ONNX models: /);
    else expect(balanced.report.steps.length).toBeGreaterThan(0);
  });
});

describe('every input fed, shapes from the graph', () => {
  it('a multi-input, multi-output model: data into x, --input sr=16000, the state defaults to zeros (named in the report)', async () => {
    const input = save('multi.onnx', multiInputModel());
    const data = npy('multi-x.npy', 32, [16], 5);
    const { report, measurement } = await compress(input, path.join(dir, 'multi-int8.onnx'), {
      quantize: 'dynamic', data, inputs: { values: { sr: '16000' } },
    });
    expect(measurement.samples).toBe(32);
    // Both outputs are compared; the state passes through unchanged at sr=16000, so the worst is y's.
    expect(measurement.cosine).toBeGreaterThan(0.99);
    expect(measurement.cosine).toBeLessThan(1);
    expect(report.notes).toContain("Input input 'h' [2, N, 8] fed with zeros (default; set it with --input h=...).");
  });

  it.each([
    ['a --input for a name the model lacks', { values: { rate: '1' } }, /--input names input 'rate', which the model does not have \(inputs: x, h, sr\)/],
    ['an --input-shape that contradicts a fixed dim', { shapes: { h: [3, 4, 8] } }, /contradicts the declared \[2, N, 8\] at axis 0/],
    ['an unnamed --input-shape on a three-input model', { shapes: { '': [4, 16] } }, /needs a one-input model; this one has 3/],
  ])('refuses %s, writing nothing', async (_name, inputs, message) => {
    const input = save('multi2.onnx', multiInputModel());
    const out = path.join(dir, 'multi2-out.onnx');
    await expect(compress(input, out, { quantize: 'dynamic', data: npy('m2.npy', 4, [16], 1), inputs })).rejects.toThrow(message);
    expect(existsSync(out)).toBe(false);
  });

  it('a symbolic non-batch dim takes the .npy\'s (or --input-shape); without data it needs --input-shape; weight-only steps need neither', async () => {
    const { GraphBuilder } = await import('../../src/onnx/builder.js');
    const b = new GraphBuilder('frames');
    const x = b.input('frames', [1, 'T', 16]);
    b.node('MatMul', [x, b.initializer('w', [16, 64], floatFeed([16 * 64], 4).data)], { outputs: ['y'] });
    b.output('y', [1, 'T', 64]);
    const input = save('frames.onnx', b.model());
    const data = npy('frames-x.npy', 2, [5, 16], 6);
    const fromData = await compress(input, path.join(dir, 'f1.onnx'), { quantize: 'dynamic', data });
    expect(fromData.report.notes.join('\n')).toMatch(/input 'frames' \[1, \?, 16\]: free dims set from .*frames-x\.npy \[2, 5, 16\]/);
    await expect(compress(input, path.join(dir, 'f0.onnx'), { quantize: 'dynamic', budget: 'p50<=1s' }))
      .rejects.toThrow(/input 'frames' \[1, T, 16\] has a symbolic dim 'T' at axis 1; give it with --input-shape frames=1,1,16/);
    const fixed = await compress(input, path.join(dir, 'f2.onnx'), { quantize: 'dynamic', data, inputs: { shapes: { frames: [1, 5, 16] } } });
    // The graph fixes batch 1: samples are fed one at a time.
    expect(fixed.measurement.samples).toBe(2);
    const weightsOnly = await compress(input, path.join(dir, 'f3.onnx'), { quantize: 'weights:float16' });
    expect(weightsOnly.report.steps[0]!.step).toBe('weight-format');
  });
});
