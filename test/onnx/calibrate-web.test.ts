import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/core/progress.js';
import { loadData } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/types.js';
import { decodeOnnx, graphInputs } from '../../src/formats/onnx/decode.js';
import { calibrateOnnx } from '../../src/onnx/calibrate.js';
import { datasetBatches } from '../../src/onnx/calibration-batches.js';
import { datasetFeed } from '../../src/onnx/data.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { argmaxRows } from '../../src/onnx/data.js';
import { nodeRuntime, runOnnx } from '../../src/onnx/runtime.js';
import { webRuntime } from '../../src/onnx/runtime-web.js';
import { calibrateAndQuantizeStatic } from '../../src/onnx/static-calibrated.js';

/**
 * Calibration is runtime-agnostic: onnxruntime-web's WebAssembly provider, run here in Node (it loads its .wasm from
 * node_modules/onnxruntime-web/dist), sees the same activations as onnxruntime-node on the committed MNIST models,
 * and a model quantized through it runs in onnxruntime-node like one quantized through onnxruntime-node.
 */
const MODELS = ['mnist-lenet-300-100', 'mnist-lenet5'] as const;
const model = (name: string) => decodeOnnx(new Uint8Array(readFileSync(`models/onnx/${name}.onnx`)), name).model;
const web = webRuntime({ executionProvider: 'wasm' });

let calib: Dataset;
let test: Dataset;
beforeAll(async () => {
  await tf.setBackend('cpu');
  calib = await loadData({ source: 'mnist', split: 'calibration', limit: 96 });
  test = await loadData({ source: 'mnist', split: 'test', limit: 500 });
});

/** Equal up to float32 rounding of kernels that differ between the two builds (summation order, SIMD): measured
 * differences are at most 4e-6 on ranges of about 50. */
function expectSameRanges(a: Record<string, { min: number; max: number }>, b: Record<string, { min: number; max: number }>) {
  expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
  for (const [t, r] of Object.entries(a)) {
    const tol = 1e-6 * Math.max(1, r.max - r.min);
    expect(Math.abs(b[t]!.min - r.min), `${t} min`).toBeLessThanOrEqual(tol);
    expect(Math.abs(b[t]!.max - r.max), `${t} max`).toBeLessThanOrEqual(tol);
  }
}

describe('calibration through onnxruntime-web (wasm, in Node)', () => {
  it.each(MODELS)('%s: same per-tensor ranges as onnxruntime-node, progress after every batch', async (name) => {
    const float = model(name);
    const events: Record<string, ProgressEvent[]> = { node: [], web: [] };
    const viaNode = await calibrateOnnx({ model: float, dataset: calib, batchSize: 32, onProgress: (e) => events.node!.push(e) });
    const viaWeb = await calibrateOnnx({ model: float, dataset: calib, batchSize: 32, runtime: web, onProgress: (e) => events.web!.push(e) });
    expect(Object.keys(viaNode.ranges).length).toBeGreaterThanOrEqual(3);
    expectSameRanges(viaNode.ranges, viaWeb.ranges);
    expect(viaWeb).toMatchObject({ observer: 'minmax', samples: 96 });
    expect(events.node!.map((e) => e.message)).toEqual(Array(3).fill('onnxruntime-node'));
    expect(events.web!).toEqual([32, 64, 96].map((done) => ({ phase: 'calibrate', done, total: 96, message: 'onnxruntime-web (wasm)' })));
  });

  it('streams caller-made batches (an async generator) with the same result as the dataset', async () => {
    const float = model('mnist-lenet5');
    const input = graphInputs(float, 'lenet5')[0]!;
    async function* stream() { yield* datasetBatches(calib, input, 40); }
    const done: number[] = [];
    const streamed = await calibrateOnnx({ model: float, batches: stream(), total: calib.count, runtime: web, onProgress: (e) => done.push(e.done) });
    const fromDataset = await calibrateOnnx({ model: float, dataset: calib, runtime: web });
    expect(done).toEqual([40, 80, 96]);
    expect(streamed.ranges).toEqual(fromDataset.ranges);
  });

  it('refuses a call with both or neither of dataset and batches', async () => {
    const float = model('mnist-lenet-300-100');
    await expect(calibrateOnnx({ model: float, runtime: web })).rejects.toThrow(/either a dataset or batches/);
    await expect(calibrateOnnx({ model: float, dataset: calib, batches: [], runtime: web })).rejects.toThrow(/either a dataset or batches/);
  });

  it.each(MODELS)('%s: static QDQ calibrated in onnxruntime-web runs in onnxruntime-node and agrees with fp32', async (name) => {
    const float = model(name);
    const viaWeb = await calibrateAndQuantizeStatic(float, { calibration: { dataset: calib, runtime: web } });
    const viaNode = await calibrateAndQuantizeStatic(float, { calibration: { dataset: calib, runtime: nodeRuntime() } });
    expect(viaWeb.report.quantized.map((q) => q.node)).toEqual(viaNode.report.quantized.map((q) => q.node));
    expect(viaWeb.report.calibration).toEqual({ observer: 'minmax', samples: 96 });
    const input = graphInputs(float, name)[0]!;
    const feeds = { [input.name]: datasetFeed(test, input, { start: 0, end: test.count }) };
    const top1 = async (m: typeof float) => argmaxRows(Object.values(await runOnnx({ bytes: encodeModel(m), feeds }))[0]!.data as Float32Array, 10);
    const [fp32, web8, node8] = [await top1(float), await top1(viaWeb.model), await top1(viaNode.model)];
    const agreement = (a: Int32Array, b: Int32Array) => a.filter((c, i) => c === b[i]).length / a.length;
    const accuracy = (p: Int32Array) => p.filter((c, i) => c === test.labels![i]).length / p.length;
    // The tolerances of the existing static tests: top-1 agreement ≥ 90% (static.test.ts), accuracy within 0.5
    // points of fp32 (reference-models.test.ts). Measured: 100% agreement on both models.
    expect(agreement(fp32, web8)).toBeGreaterThanOrEqual(0.9);
    expect(accuracy(fp32) - accuracy(web8)).toBeLessThan(0.005);
    // Ranges equal to float rounding give the same int8 model in effect.
    expect(agreement(web8, node8)).toBeGreaterThanOrEqual(0.99);
  });
});
