import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOnnx, encodeOnnx } from '../../src/formats/onnx/index.js';
import { saveLayersModel } from '../../src/formats/save.js';
import { convertToOnnx, layersToOnnx } from '../../src/onnx/convert/index.js';
import { hashOnnxModel, readOnnxLineage } from '../../src/onnx/lineage.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { randomValues } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'shrinkml-onnx-convert-'));
beforeAll(async () => { await tf.setBackend('cpu'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Random weights everywhere (BN statistics included), so a wrong kernel layout cannot pass by accident. */
function randomize(model: tf.LayersModel, seed: number): tf.LayersModel {
  model.weights.forEach((w, i) => {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const v = randomValues(n, seed + i, 0.5);
    if (w.originalName.endsWith('moving_variance')) v.forEach((x, j) => { v[j] = Math.abs(x) + 0.5; });
    w.write(tf.tensor(v, w.shape));
  });
  return model;
}

const L = tf.layers;
const MODELS: [string, () => tf.LayersModel, number[]][] = [
  ['lenet-style CNN (conv same/valid, BN, pooling, flatten, dense, softmax)', () => tf.sequential({ layers: [
    L.conv2d({ name: 'conv1', inputShape: [12, 12, 2], filters: 4, kernelSize: 5, padding: 'same' }),
    L.batchNormalization({ name: 'bn1' }), L.activation({ name: 'relu1', activation: 'relu' }),
    L.maxPooling2d({ name: 'pool1', poolSize: 2 }),
    L.conv2d({ name: 'conv2', filters: 6, kernelSize: 3, activation: 'relu' }),
    L.maxPooling2d({ name: 'pool2', poolSize: 2 }),
    L.flatten({ name: 'flatten' }),
    L.dense({ name: 'fc1', units: 12, activation: 'relu' }),
    L.dense({ name: 'fc2', units: 5, activation: 'softmax' }),
  ] }), [3, 12, 12, 2]],
  ['depthwise/separable, strided same conv, average and global pooling', () => tf.sequential({ layers: [
    L.conv2d({ name: 'stem', inputShape: [9, 9, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' }),
    L.depthwiseConv2d({ name: 'dw', kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
    L.separableConv2d({ name: 'sep', filters: 5, kernelSize: 3, padding: 'same', activation: 'tanh' }),
    L.averagePooling2d({ name: 'avg', poolSize: 2, strides: 1, padding: 'same' }),
    L.zeroPadding2d({ name: 'pad', padding: [[1, 0], [0, 2]] }),
    L.globalAveragePooling2d({ name: 'gap' }),
    L.dense({ name: 'out', units: 3, activation: 'sigmoid' }),
  ] }), [2, 9, 9, 3]],
  ['functional: Add and Concatenate of conv branches, global max pool, BN on dense, dropout', () => {
    const x = tf.input({ name: 'image', shape: [6, 6, 3] });
    const a = L.conv2d({ name: 'a', filters: 4, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor;
    const b = L.conv2d({ name: 'b', filters: 4, kernelSize: 1, activation: 'elu' }).apply(x) as tf.SymbolicTensor;
    const sum = L.add({ name: 'sum' }).apply([a, b]) as tf.SymbolicTensor;
    const cat = L.concatenate({ name: 'cat' }).apply([sum, a]) as tf.SymbolicTensor;
    const pooled = L.globalMaxPooling2d({ name: 'gmp' }).apply(L.leakyReLU({ name: 'leaky', alpha: 0.1 }).apply(cat)) as tf.SymbolicTensor;
    const d = L.dense({ name: 'd', units: 6 }).apply(pooled) as tf.SymbolicTensor;
    const bn = L.batchNormalization({ name: 'bn' }).apply(L.dropout({ name: 'drop', rate: 0.5 }).apply(d)) as tf.SymbolicTensor;
    const r = L.reshape({ name: 'r', targetShape: [2, 3] }).apply(bn) as tf.SymbolicTensor;
    const flat = L.flatten({ name: 'f' }).apply(L.reLU({ name: 'relu', maxValue: 0.4 }).apply(r)) as tf.SymbolicTensor;
    return tf.model({ name: 'branches', inputs: x, outputs: L.dense({ name: 'logits', units: 4 }).apply(flat) as tf.SymbolicTensor });
  }, [2, 6, 6, 3]],
  ['residual MLP (Dense + Add, the mnist-residual layers)', () => {
    const x = tf.input({ name: 'pixels', shape: [20] });
    const h1 = L.dense({ name: 'fc1', units: 8, activation: 'relu' }).apply(x) as tf.SymbolicTensor;
    const h2 = L.dense({ name: 'fc2', units: 8, activation: 'relu' }).apply(h1) as tf.SymbolicTensor;
    const s = L.add({ name: 'skip' }).apply([h1, h2]) as tf.SymbolicTensor;
    return tf.model({ inputs: x, outputs: L.dense({ name: 'out', units: 10, activation: 'softmax' }).apply(s) as tf.SymbolicTensor });
  }, [4, 20]],
];

describe('tfjs → ONNX export', () => {
  it.each(MODELS)('%s: onnxruntime matches tfjs predictions', async (_name, build, dims) => {
    const model = randomize(build(), 100);
    const input = randomValues(dims.reduce((a, b) => a * b, 1), 5);
    const expected = tf.tidy(() => (model.predict(tf.tensor(input, dims)) as tf.Tensor).dataSync().slice());
    const before = tf.memory().numTensors;
    const proto = layersToOnnx(model);
    expect(tf.memory().numTensors).toBe(before);
    const bytes = encodeOnnx(proto);
    decodeOnnx(bytes, 'exported.onnx');
    const inputName = proto.graph!.input![0]!.name!;
    const outputs = await runOnnx({ bytes, feeds: { [inputName]: { data: input, dims } } });
    const got = Object.values(outputs)[0]!;
    expect(got.dims).toEqual([dims[0], ...model.outputs[0]!.shape.slice(1)]);
    const maxErr = Math.max(...Array.from(got.data as Float32Array, (v, i) => Math.abs(v - expected[i]!)));
    expect(maxErr).toBeLessThan(2e-5);
    model.dispose();
  });

  it('keeps the tfjs input/output names and shapes, with the NHWC input the data loader expects', () => {
    const model = MODELS[0]![1]();
    const proto = layersToOnnx(model);
    const dims = (i: typeof proto.graph.input[number]) => i.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    // tfjs makes layer names unique per process, hence the optional suffix.
    expect(proto.graph!.input!.map((i) => [i.name, dims(i)])).toEqual([[expect.stringMatching(/^conv1(_\d+)?_input/), ['N', 12, 12, 2]]]);
    expect(proto.graph!.output!.map((o) => [o.name, dims(o)])).toEqual([[expect.stringMatching(/^fc2(_\d+)?$/), ['N', 5]]]);
    // One transpose in (NHWC → NCHW) and one back before Flatten.
    expect(proto.graph!.node!.filter((n) => n.opType === 'Transpose').length).toBe(2);
    model.dispose();
  });

  it.each([
    ['an unsupported layer class', () => tf.sequential({ layers: [L.conv1d({ name: 'c1d', inputShape: [8, 2], filters: 2, kernelSize: 3 })] }), /layer 'c1d' is a Conv1D, which the ONNX exporter does not support/],
    ['an unsupported activation', () => tf.sequential({ layers: [L.dense({ name: 'dx', inputShape: [4], units: 2, activation: 'mish' })] }), /layer 'dx' \(Dense\) uses activation 'mish'/],
  ])('rejects %s with a named error', (_name, build, message) => {
    const model = build();
    expect(() => layersToOnnx(model)).toThrow(message);
    model.dispose();
  });

  it('convertToOnnx writes an .onnx file from a model path', async () => {
    const model = randomize(MODELS[3]![1](), 3);
    const folder = path.join(dir, 'mlp');
    await saveLayersModel(model, folder);
    const out = path.join(dir, 'mlp.onnx');
    const result = await convertToOnnx({ model: folder, out });
    expect(result.bytes).toBeGreaterThan(4 * (20 * 8 + 8 * 8 + 8 * 10));
    // The lineage: in metadata_props and beside the file, tracing the output to the exact input files.
    const written = decodeOnnx(readFileSync(out), out).model;
    const lineage = readOnnxLineage(written)!;
    const sourceHash = createHash('sha256');
    for (const f of [path.join(folder, 'model.json'), ...readdirSync(folder).filter((f) => f.endsWith('.bin')).sort().map((f) => path.join(folder, f))]) sourceHash.update(readFileSync(f));
    expect(lineage.sourceHash).toBe(`sha256:${sourceHash.digest('hex')}`);
    expect(lineage.steps).toEqual([{ step: 'convert', options: { from: 'tfjs-layers', opset: 13 } }]);
    expect(lineage.weightsHash).toBe(hashOnnxModel(written));
    expect(JSON.parse(readFileSync(result.lineagePath!, 'utf8'))).toEqual(lineage);
    expect(written.metadataProps!.find((p) => p.key === 'shrinkml.source')?.value).toBe(`tfjs-layers:${folder}`);
    await expect(convertToOnnx({ model: folder, out })).rejects.toMatchObject({ code: 'EXISTS' });
    model.dispose();
  });
});
