import { describe, expect, it } from 'vitest';
import { encodeOnnx } from '../../src/formats/onnx/index.js';
import { DataType } from '../../src/formats/onnx/schema.js';
import { forEachGraph, forEachTensor } from '../../src/formats/onnx/walk.js';
import { quantizeDynamic } from '../../src/onnx/dynamic.js';
import { floatFeed } from './fixtures.js';
import { compareOutputs, convOnlyModel, opsOf, recurrentFeeds, recurrentModel } from './quant-fixtures.js';

/**
 * Dynamic INT8 of Conv and recurrent nodes, run in onnxruntime-node 1.30.0 (the lowest version package.json
 * allows): both Conv forms load, stay close to float and make a Conv-only model ≥ 3.5× smaller.
 */
describe('dynamic INT8: Conv', () => {
  it.each([
    ['weights', 'initializer', ['DequantizeLinear', 'Conv', 'Relu', 'DequantizeLinear', 'Conv', 'Relu', 'DequantizeLinear', 'Conv']],
    ['weights', 'constant', ['DequantizeLinear', 'Conv', 'Relu', 'DequantizeLinear', 'Conv', 'Relu', 'DequantizeLinear', 'Conv']],
    ['integer', 'initializer', ['DynamicQuantizeLinear', 'ConvInteger', 'Cast', 'Mul', 'Mul', 'Add', 'Relu',
      'DynamicQuantizeLinear', 'ConvInteger', 'Cast', 'Mul', 'Mul', 'Add', 'Relu', 'DynamicQuantizeLinear', 'ConvInteger', 'Cast', 'Mul', 'Mul']],
  ] as const)("conv: '%s' (%s weights): runs in onnxruntime, ≥ 3.5× smaller, close to float", async (form, weights, ops) => {
    const float = convOnlyModel({ weights });
    const { model, report } = quantizeDynamic(float, { conv: form });
    expect(opsOf(model).filter((o) => o !== 'Constant')).toEqual(ops);
    expect(report.quantized.map((q) => [q.op, q.shape, q.perChannel])).toEqual([
      ['Conv', [32, 1, 3, 3], true], ['Conv', [128, 32, 3, 3], true], ['Conv', [128, 1, 3, 3], true]]);
    expect(report.skipped).toEqual([]);
    // Every float weight is gone: only biases (and the integer form's scales) stay float.
    const floats = model.graph!.initializer!.filter((t) => t.dataType === 1).map((t) => (t.dims ?? []).reduce((a, b) => a * Number(b), 1));
    expect(Math.max(...floats)).toBeLessThanOrEqual(128);
    const ratio = encodeOnnx(float).length / encodeOnnx(model).length;
    expect(ratio).toBeGreaterThanOrEqual(3.5);
    const { y } = await compareOutputs(float, model, { x: floatFeed([4, 1, 16, 16], 9) });
    expect(y!.cosine).toBeGreaterThan(form === 'weights' ? 0.9999 : 0.999);
    expect(y!.rel).toBeLessThan(form === 'weights' ? 0.01 : 0.03);
  });

  it("the integer form's weights are uint8 with one zero point, 128, and per-channel scales in a [C,1,1] Mul", () => {
    const { model } = quantizeDynamic(convOnlyModel(), { conv: 'integer' });
    const init = (name: string) => model.graph!.initializer!.find((t) => t.name === name)!;
    const conv = model.graph!.node!.find((n) => n.opType === 'ConvInteger')!;
    expect(init(conv.input![1]!).dataType).toBe(2);
    const zp = init(conv.input![3]!);
    expect([zp.dataType, zp.dims, Array.from(zp.rawData!)]).toEqual([2, [], [128]]);
    const mul = model.graph!.node!.filter((n) => n.opType === 'Mul')[1]!;
    expect(init(mul.input![1]!).dims!.map(Number)).toEqual([32, 1, 1]);
  });

  it("conv: 'float' leaves Conv alone", () => {
    const { model, report } = quantizeDynamic(convOnlyModel(), { conv: 'float' });
    expect(opsOf(model)).toEqual(['Conv', 'Relu', 'Conv', 'Relu', 'Conv']);
    expect(report.notes).toEqual([expect.stringMatching(/^left float: Conv 'conv', Conv 'conv_1', Conv 'conv_2'/)]);
  });
});

describe('dynamic INT8: recurrent nodes inside If branches', () => {
  const subgraphOps = (m: ReturnType<typeof recurrentModel>) => {
    const ops: string[] = [];
    forEachGraph(m.graph!, (g) => { if (g !== m.graph) ops.push(...g.node!.map((n) => `${n.domain ?? ''}:${n.opType}`)); });
    return ops;
  };

  it.each([1, 0])('LSTM → com.microsoft DynamicQuantizeLSTM in both branches (cond %i): outputs h and c close to float', async (cond) => {
    const float = recurrentModel('LSTM');
    const { model, report } = quantizeDynamic(float);
    expect(report.quantized.map((q) => [q.op, q.shape])).toEqual([['LSTM', [1, 128, 24]], ['LSTM', [1, 128, 24]]]);
    expect(subgraphOps(model).filter((o) => o.endsWith('LSTM'))).toEqual(['com.microsoft:DynamicQuantizeLSTM', 'com.microsoft:DynamicQuantizeLSTM']);
    expect(model.opsetImport!.map((o) => o.domain)).toContain('com.microsoft');
    // The float W/R and the Unsqueeze feeding them are gone from the outer graph.
    expect(opsOf(model).filter((o) => o === 'Unsqueeze')).toEqual([]);
    expect(encodeOnnx(model).length).toBeLessThan(encodeOnnx(float).length / 2.5);
    const out = await compareOutputs(float, model, recurrentFeeds('LSTM', 3, cond));
    for (const name of ['hn', 'cn']) {
      expect(out[name]!.cosine, name).toBeGreaterThan(0.999);
      expect(out[name]!.rel, name).toBeLessThan(0.03);
    }
  });

  it('LSTM weights behind a constant Slice/Concat gate reorder are folded and quantized (Silero VAD v5 export)', async () => {
    const float = recurrentModel('LSTM', { reorder: true });
    const { model, report } = quantizeDynamic(float);
    expect(report.quantized.filter((q) => q.op === 'LSTM').map((q) => q.shape)).toEqual([[1, 128, 24], [1, 128, 24]]);
    expect(opsOf(model).filter((o) => ['Slice', 'Concat', 'Unsqueeze'].includes(o))).toEqual([]);
    const out = await compareOutputs(float, model, recurrentFeeds('LSTM'));
    for (const name of ['hn', 'cn']) expect(out[name]!.cosine, name).toBeGreaterThan(0.999);
  });

  it('one int8 copy of W and R when each branch repeats the gate reorder of the outer weight (Silero VAD v5: 2.58× → 3.8×)', async () => {
    const float = recurrentModel('LSTM', { reorder: true, inBranches: true });
    const { model } = quantizeDynamic(float);
    const int8: string[] = [];
    forEachTensor(model.graph!, ({ tensor }) => { if (tensor.dataType === DataType.INT8 && tensor.name!.endsWith('_int8')) int8.push(tensor.name!); });
    // W and R once each, in the outer graph where their float source lives, read by both branches' LSTMs.
    expect(int8.length).toBe(2);
    expect(model.graph!.initializer!.filter((t) => t.name!.endsWith('_int8')).map((t) => t.dims!.map(Number))).toEqual([[1, 24, 128], [1, 32, 128]]);
    for (const cond of [1, 0]) {
      const out = await compareOutputs(float, model, recurrentFeeds('LSTM', 3, cond));
      for (const name of ['hn', 'cn']) expect(out[name]!.cosine, name).toBeGreaterThan(0.999);
    }
  });

  it('GRU stays float with a note (onnxruntime has no integer GRU) and still runs', async () => {
    const float = recurrentModel('GRU');
    const { model, report } = quantizeDynamic(float);
    expect(report.quantized).toEqual([]);
    expect(report.notes).toEqual([expect.stringMatching(/^left float: GRU .*, GRU /)]);
    expect(report.skipped[0]!.reason).toMatch(/integer kernel for LSTM only/);
    const out = await compareOutputs(float, model, recurrentFeeds('GRU'));
    expect(out.hn!.rel).toBe(0);
  });
});
