import { describe, expect, it } from 'vitest';
import { decodeOnnx, encodeOnnx } from '../../src/formats/onnx/index.js';
import type { ModelProto } from '../../src/formats/onnx/proto.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { attr } from '../../src/onnx/attrs.js';
import { packInt4, unpackInt4 } from '../../src/onnx/matmul-nbits.js';
import { ONNX_QUANTIZE_MODES } from '../../src/onnx/modes.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { webRuntime } from '../../src/onnx/runtime-web.js';
import { storeWeights, type WeightFormat } from '../../src/onnx/weight-only.js';
import { quantizeDynamic } from '../../src/onnx/dynamic.js';
import { convModel, floatFeed, ifModel, mlpModel, randomValues } from './fixtures.js';
import { compareOutputs, convOnlyModel, recurrentFeeds, recurrentModel } from './quant-fixtures.js';

/** `--quantize weights:<format>`: smaller storage, float compute, every graph, the bits of every weight reported. */
const big = () => mlpModel({ inputs: 256, hidden: 128 });

describe('weight-only storage', () => {
  it('a tensor holding -Infinity (an attention-style mask) loads, stays float (float32 on integer grids), and its zeros stay exact in onnxruntime', async () => {
    // y = Softmax(x·w + mask), mask -Infinity on every odd column: the masked probabilities are exactly 0.
    const b = new GraphBuilder('masked');
    const x = b.input('x', ['N', 16]);
    const w = b.initializer('w', [16, 128], randomValues(16 * 128, 3, 0.5));
    const mask = b.initializer('mask', [1, 128], Array.from({ length: 128 }, (_, i) => (i % 2 ? -Infinity : 0)));
    b.node('Softmax', [b.op('Add', [b.op('MatMul', [x, w]), mask])], { outputs: ['y'], attrs: [attr.int('axis', 1)] });
    b.output('y', ['N', 128]);
    const float = decodeOnnx(encodeOnnx(b.model()), 'masked.onnx').model;
    const feeds = { x: floatFeed([8, 16], 4) };
    const outputs = [
      ...(['float16', 'uint8', 'int8', 'int4'] as const).map((format) => [format, storeWeights(float, { format }).model] as const),
      ['dynamic', quantizeDynamic(float).model] as const,
    ];
    for (const [mode, model] of outputs) {
      // float16 holds ±Infinity exactly; every integer grid keeps the mask float32.
      if (mode !== 'float16') expect(model.graph!.initializer!.find((t) => t.name === 'mask')?.dataType, mode).toBe(1);
      const y = (await runOnnx({ bytes: encodeOnnx(model), feeds })).y!.data as Float32Array;
      expect(y.every((v, i) => (i % 2 ? v === 0 : Number.isFinite(v) && v > 0)), mode).toBe(true);
      expect((await compareOutputs(float, model, feeds)).y!.cosine, mode).toBeGreaterThanOrEqual(0.99);
    }
  });

  it.each([
    // format, model, min size ratio, min cosine
    ['float16', 'mlp', 1.9, 0.99999],
    ['uint8', 'mlp', 3.5, 0.999],
    ['int8', 'mlp', 3.5, 0.9999],
    ['int4', 'mlp', 5.5, 0.99],
    ['float16', 'conv', 1.9, 0.99999],
    ['int8', 'conv', 3.5, 0.9999],
    ['int4', 'conv', 3.5, 0.9999],
  ] as const)('weights:%s on %s: runs in onnxruntime-node with fp32 inputs/outputs, ≥ %f× smaller, cosine ≥ %f', async (format, which, ratio, cosine) => {
    const float = which === 'mlp' ? big() : convOnlyModel();
    const { model, report } = storeWeights(float, { format });
    expect(encodeOnnx(float).length / encodeOnnx(model).length).toBeGreaterThanOrEqual(ratio);
    const io = (m: ModelProto) => [...m.graph!.input!, ...m.graph!.output!].map((v) => [v.name, v.type?.tensorType?.elemType]);
    expect(io(model)).toEqual(io(float));
    // Every float weight of the input is listed with its bits.
    expect(report.weights.map((w) => w.weight).sort()).toEqual(float.graph!.initializer!.map((t) => t.name).sort());
    const bits = { float16: 16, uint8: 8, int8: 8, int4: which === 'mlp' ? 4 : 8 }[format];
    for (const w of report.weights) expect(w.bits, w.weight).toBe(w.shape.length === 1 ? 32 : bits);
    const feeds = which === 'mlp' ? { x: floatFeed([16, 256], 5) } : { x: floatFeed([2, 1, 16, 16], 5) };
    const out = await compareOutputs(float, model, feeds);
    expect(out.y!.cosine).toBeGreaterThanOrEqual(cosine);
  });

  it('weights:int8 is per output channel: MatMul weights on axis 1, Gemm transB and Conv on axis 0', () => {
    const { model } = storeWeights(mlpModel({ inputs: 256, hidden: 64 }), { format: 'int8', minElements: 100 });
    const axis = (w: string) => model.graph!.node!.find((n) => n.output![0] === w)!.attribute!.find((a) => a.name === 'axis')!.i;
    expect([Number(axis('w1')), Number(axis('w2'))]).toEqual([1, 0]);
    const conv = storeWeights(convModel(), { format: 'int8', minElements: 100 }).model;
    expect(Number(conv.graph!.node!.find((n) => n.output![0] === 'conv2_w')!.attribute![0]!.i)).toBe(0);
  });

  it('weights:uint8 is one scale and zero point per tensor', () => {
    const { model } = storeWeights(big(), { format: 'uint8' });
    const dq = model.graph!.node!.find((n) => n.output![0] === 'w1')!;
    const t = (name: string) => model.graph!.initializer!.find((i) => i.name === name)!;
    expect([t(dq.input![0]!).dataType, t(dq.input![1]!).dims, t(dq.input![2]!).dataType]).toEqual([2, [], 2]);
  });

  it.each(['float16', 'int8', 'int4'] as const)('weights:%s quantizes the weights inside If branches too', async (format) => {
    const float = ifModel();
    const { model, report } = storeWeights(float, { format, minElements: 4 });
    expect(report.weights.map((w) => [w.graph.startsWith('subgraph'), w.bits])).toEqual([[true, format === 'float16' ? 16 : format === 'int4' ? 4 : 8], [true, format === 'float16' ? 16 : format === 'int4' ? 4 : 8]]);
    for (const cond of [0n, 1n]) {
      const out = await compareOutputs(float, model, { x: floatFeed([5, 4], 3), cond: { data: BigInt64Array.of(cond), dims: [] } });
      expect(out.y!.cosine).toBeGreaterThan(0.99);
    }
  });

  /** A 16×1×3×3 depthwise filter (144 values) before a pointwise Conv of `out` × 16 values. */
  const depthwiseModel = (out: number) => {
    const b = new GraphBuilder('dw');
    const x = b.input('x', ['N', 16, 8, 8]);
    const dw = b.op('Conv', [x, b.initializer('dw_w', [16, 1, 3, 3], randomValues(144, 3))], { attrs: [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1]), attr.int('group', 16)] });
    b.node('Conv', [dw, b.initializer('pw_w', [out, 16, 1, 1], randomValues(out * 16, 4, 0.3))], { outputs: ['y'], attrs: [attr.ints('kernel_shape', [1, 1])] });
    b.output('y', ['N', out, 8, 8]);
    return b.model();
  };

  it.each([
    ['weights:int8', 32], ['weights:int4', 32], ['weights:float16', 16], ['dynamic', 32],
  ] as const)('%s: a small depthwise filter (144 values, < 1%% of the model) stays float32 in 8/4-bit modes, the pointwise one is quantized', async (mode, bits) => {
    const float = depthwiseModel(1024);
    const r = await ONNX_QUANTIZE_MODES[mode].run(float, {});
    const init = (name: string) => r.model.graph!.initializer!.find((t) => t.name === name);
    expect(init('dw_w')?.dataType ?? 10, 'dw_w').toBe(bits === 32 ? 1 : 10);
    expect(init('pw_w'), 'pw_w').toBeUndefined();
    if (bits === 32) expect([...r.notes, ...(r.report.quantize?.skipped ?? []).map((k) => k.reason)].join('; ')).toMatch(/depthwise filter of 144 values \(< 1024\) kept float32/);
    const out = await compareOutputs(float, r.model, { x: floatFeed([1, 16, 8, 8], 5) });
    expect(out.y!.cosine).toBeGreaterThan(0.999);
  });

  it('small depthwise filters that are more than 1% of the model are quantized like the rest', async () => {
    const r = await ONNX_QUANTIZE_MODES['weights:int8'].run(depthwiseModel(32), {});
    expect(r.model.graph!.initializer!.find((t) => t.name === 'dw_w')).toBeUndefined();
  });

  it('an excluded node inside an If branch keeps the main-graph weight it reads float32', () => {
    const b = new GraphBuilder('outer');
    b.input('x', ['N', 4]);
    const shared = b.initializer('shared_w', [4, 3], randomValues(12, 9));
    const branch = (name: string) => {
      const g = new GraphBuilder(name);
      g.node('MatMul', ['x', shared], { name: `${name}_matmul`, outputs: [`${name}_y`] });
      g.output(`${name}_y`, ['N', 3]);
      return g.graph();
    };
    const c = b.op('Cast', [b.input('cond', [], 'int64')], { attrs: [attr.int('to', 9)] });
    b.node('If', [c], { outputs: ['y'], attrs: [attr.graph('then_branch', branch('then')), attr.graph('else_branch', branch('else'))] });
    b.output('y', ['N', 3]);
    const { report } = storeWeights(b.model(), { format: 'int8', minElements: 4, exclude: ['then_matmul'] });
    expect(report.weights.map((w) => [w.weight, w.bits, w.reason])).toEqual([['shared_w', 32, 'excluded']]);
  });

  it.each(['float16', 'uint8', 'int8', 'int4'] as const)('weights:%s: an LSTM read through Unsqueeze in If branches keeps working', async (format) => {
    const float = recurrentModel('LSTM', { input: 64, hidden: 64 });
    const { model } = storeWeights(float, { format: format as WeightFormat });
    expect(encodeOnnx(model).length).toBeLessThan(encodeOnnx(float).length / (format === 'float16' ? 1.9 : 3.3));
    const feeds = recurrentFeeds('LSTM');
    feeds.x = floatFeed([5, 3, 64], 4); feeds.h = floatFeed([1, 3, 64], 5, 0.5); feeds.c = floatFeed([1, 3, 64], 6, 0.5);
    const out = await compareOutputs(float, model, feeds);
    expect(out.hn!.cosine).toBeGreaterThan(0.999);
  });

  it('the mode table runs every weights mode and lists them by name', async () => {
    expect(Object.keys(ONNX_QUANTIZE_MODES)).toEqual(['dynamic', 'static', 'weights:float16', 'weights:uint8', 'weights:int8', 'weights:int4']);
    const r = await ONNX_QUANTIZE_MODES['weights:int4'].run(convOnlyModel(), {});
    expect(r.notes).toEqual([expect.stringMatching(/^int4 is MatMul\/Gemm only/)]);
  });
});

/** y = x · W through one MatMul (or Gemm with transB/alpha/bias), W [K, N]. */
function matmulModel(k: number, n: number, w: Float32Array, gemm = false): ModelProto {
  const b = new GraphBuilder('mm');
  const x = b.input('x', ['M', k]);
  if (gemm) {
    // W stored transposed [N, K], alpha 0.5, bias [N].
    const wt = new Float32Array(k * n);
    for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) wt[j * k + i] = w[i * n + j]! * 2;
    const bias = b.initializer('bias', [n], randomValues(n, 77, 0.2));
    b.node('Gemm', [x, b.initializer('w', [n, k], wt), bias], { outputs: ['y'], attrs: [attr.int('transB', 1), attr.float('alpha', 0.5)] });
  } else {
    b.node('MatMul', [x, b.initializer('w', [k, n], w)], { outputs: ['y'] });
  }
  b.output('y', ['M', n]);
  return b.model();
}

describe('weights:int4 = com.microsoft MatMulNBits in the transformers.js q4 layout', () => {
  const K = 80; // not a multiple of 32: the last block is padded
  const N = 48;
  const w = randomValues(K * N, 31, 0.4);

  it('writes B uint8 [N, ceil(K/32), 16], float scales, no zero_points, bits 4, block_size 32, com.microsoft 1', () => {
    const { model } = storeWeights(matmulModel(K, N, w), { format: 'int4' });
    const mm = model.graph!.node!.find((n) => n.opType === 'MatMulNBits')!;
    expect(mm.domain).toBe('com.microsoft');
    expect(mm.input!.length).toBe(3);
    expect(mm.attribute!.map((a) => [a.name, Number(a.i)])).toEqual([['K', K], ['N', N], ['bits', 4], ['block_size', 32]]);
    const t = (name: string) => model.graph!.initializer!.find((i) => i.name === name)!;
    expect([t(mm.input![1]!).dataType, t(mm.input![1]!).dims!.map(Number)]).toEqual([2, [N, 3, 16]]);
    expect([t(mm.input![2]!).dataType, t(mm.input![2]!).dims!.map(Number)]).toEqual([1, [N * 3]]);
    expect(model.opsetImport!.find((o) => o.domain === 'com.microsoft')!.version).toBe(1);
    expect(model.graph!.initializer!.some((i) => i.dataType === 22 || i.dataType === 21)).toBe(false);
  });

  it('packs low nibble first with the implicit zero point 8', () => {
    const tiny = Float32Array.from({ length: 32 }, (_, i) => (i % 2 ? -7 : 7) * (i < 2 ? 1 : 0.0));
    const p = packInt4(tiny, 32, 1);
    expect(p.scales[0]).toBe(1);
    expect(p.packed[0]).toBe(((-7 + 8) << 4) | (7 + 8));
    expect(Array.from(p.packed.slice(1))).toEqual(Array(15).fill(0x88));
  });

  const reference = (gemm: boolean) => {
    // The dequantized weights in a plain MatMul (+ bias): what MatMulNBits must compute.
    const p = packInt4(w, K, N);
    const deq = unpackInt4(p, K, N);
    const b = new GraphBuilder('ref');
    const x = b.input('x', ['M', K]);
    const y = b.op('MatMul', [x, b.initializer('w', [K, N], deq)]);
    if (gemm) b.node('Add', [y, b.initializer('bias', [N], randomValues(N, 77, 0.2))], { outputs: ['y'] });
    else b.node('Identity', [y], { outputs: ['y'] });
    b.output('y', ['M', N]);
    return b.model();
  };

  it.each([
    ['MatMul', false, 'onnxruntime-node'],
    ['Gemm (transB, alpha, bias)', true, 'onnxruntime-node'],
    ['MatMul', false, 'onnxruntime-web (wasm)'],
    ['Gemm (transB, alpha, bias)', true, 'onnxruntime-web (wasm)'],
  ] as const)('%s (Gemm: %s): output equals dequantize-then-matmul within 1e-5 relative in %s', async (_name, gemm, runtime) => {
    const { model } = storeWeights(matmulModel(K, N, w, gemm), { format: 'int4' });
    const feeds = { x: floatFeed([7, K], 41) };
    const run = async (m: ModelProto) => {
      if (runtime === 'onnxruntime-node') return (await runOnnx({ bytes: encodeOnnx(m), feeds })).y!.data as Float32Array;
      const session = await webRuntime().createSession(encodeOnnx(m), {});
      try { return (await session.run(feeds)).y!.data as Float32Array; } finally { await session.release(); }
    };
    const [got, want] = [await run(model), await run(reference(gemm))];
    const scale = Math.max(...Array.from(want, Math.abs));
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!) / scale).toBeLessThanOrEqual(1e-5);
  });
});
