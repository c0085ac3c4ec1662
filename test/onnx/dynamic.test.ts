import { describe, expect, it } from 'vitest';
import { decodeOnnx, encodeOnnx } from '../../src/formats/onnx/index.js';
import { quantizeDynamic } from '../../src/onnx/dynamic.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { argmaxRows } from '../../src/onnx/data.js';
import { convModel, floatFeed, ifModel, mlpModel } from './fixtures.js';

const ops = (m: ReturnType<typeof mlpModel>) => m.graph!.node!.map((n) => n.opType);

async function compare(float: ReturnType<typeof mlpModel>, quant: ReturnType<typeof mlpModel>, feeds: Parameters<typeof runOnnx>[0]['feeds'], optimization: 'all' | 'disabled') {
  const [a, b] = await Promise.all([
    runOnnx({ bytes: encodeOnnx(float), feeds }),
    runOnnx({ bytes: encodeOnnx(quant), feeds, session: { optimization } }),
  ]);
  const x = a.y!.data as Float32Array;
  const y = b.y!.data as Float32Array;
  const range = Math.max(...x) - Math.min(...x);
  const maxErr = Math.max(...Array.from(y, (v, i) => Math.abs(v - x[i]!)));
  const rows = x.length / a.y!.dims[1]!;
  const agree = argmaxRows(x, x.length / rows).filter((c, i) => c === argmaxRows(y, y.length / rows)[i]).length / rows;
  return { maxErr, range, agree };
}

describe('dynamic INT8 (MatMul/Gemm)', () => {
  it.each([
    ['initializer weights, fused by onnxruntime', 'initializer', 'all'],
    ['initializer weights, plain pattern', 'initializer', 'disabled'],
    ['Constant-node weights', 'constant', 'all'],
  ] as const)('%s: loads in onnxruntime and stays within tolerance', async (_name, weights, optimization) => {
    const float = mlpModel({ weights });
    const { model, report } = quantizeDynamic(float);
    expect(report.quantized.map((q) => [q.op, q.weightSource, q.shape])).toEqual([['MatMul', weights, [16, 32]], ['Gemm', weights, [10, 32]]]);
    // Biases stay float (in Constant nodes when the float model had them there).
    expect(ops(model).filter((o) => o === 'Constant').length).toBe(weights === 'constant' ? 2 : 0);
    expect(ops(model).filter((o) => o !== 'Constant')).toEqual(['DynamicQuantizeLinear', 'MatMulInteger', 'Cast', 'Mul', 'Mul', 'Add', 'Relu',
      'DynamicQuantizeLinear', 'MatMulInteger', 'Cast', 'Mul', 'Mul', 'Add']);
    // The float weights are gone (Constant nodes included); int8 codes and float scales replace them.
    const inits = model.graph!.initializer!.map((t) => [t.name, t.dataType]);
    expect(inits.filter(([, t]) => t === 3).length).toBe(2);
    expect(model.graph!.initializer!.some((t) => t.name === 'w1' || t.name === 'w2')).toBe(false);
    decodeOnnx(encodeOnnx(model), 'q.onnx');
    const { maxErr, range, agree } = await compare(float, model, { x: floatFeed([64, 16], 3) }, optimization);
    expect(maxErr / range).toBeLessThan(0.02);
    expect(agree).toBeGreaterThanOrEqual(0.95);
  });

  it('int8 weights shrink the file about 4x', () => {
    const big = mlpModel({ inputs: 256, hidden: 128 });
    const { model } = quantizeDynamic(big);
    const ratio = encodeOnnx(big).length / encodeOnnx(model).length;
    expect(ratio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(4);
  });

  it('gives Conv int8 weights (DequantizeLinear → Conv) and quantizes the Gemm after it', async () => {
    const float = convModel();
    const { model, report } = quantizeDynamic(float);
    expect(report.skipped).toEqual([]);
    expect(report.quantized.map((q) => q.op)).toEqual(['Conv', 'Conv', 'Gemm']);
    expect(ops(model).filter((o) => o === 'Conv').length).toBe(2);
    const { maxErr, range } = await compare(float, model, { x: floatFeed([8, 1, 8, 8], 4) }, 'all');
    expect(maxErr / range).toBeLessThan(0.03);
  });

  it('quantizes the MatMul inside each If branch like the main graph', async () => {
    const float = ifModel();
    const { model, report } = quantizeDynamic(float);
    expect(report.quantized.map((q) => [q.node, q.op, q.shape])).toEqual([['matmul', 'MatMul', [4, 3]], ['matmul_1', 'MatMul', [4, 3]]].map(([, op, shape]) => [expect.any(String), op, shape]));
    const branchOps = model.graph!.node!.find((n) => n.opType === 'If')!.attribute!.map((a) => a.g!.node!.map((n) => n.opType));
    expect(branchOps).toEqual([0, 1].map(() => ['DynamicQuantizeLinear', 'MatMulInteger', 'Cast', 'Mul', 'Mul']));
    for (const cond of [0n, 1n]) {
      const feeds = { x: floatFeed([6, 4], 2), cond: { data: BigInt64Array.of(cond), dims: [] } };
      const [a, b] = [await runOnnx({ bytes: encodeOnnx(float), feeds }), await runOnnx({ bytes: encodeOnnx(model), feeds })];
      const x = a.y!.data as Float32Array;
      const y = b.y!.data as Float32Array;
      const range = Math.max(...x) - Math.min(...x);
      expect(Math.max(...Array.from(y, (v, i) => Math.abs(v - x[i]!))) / range).toBeLessThan(0.03);
    }
  });

  it.each([
    ['excluded by name', { exclude: ['matmul'] }, 'MatMul', 'excluded'],
  ])('skips a node %s', (_name, options, op, reason) => {
    const { report } = quantizeDynamic(mlpModel(), options);
    expect(report.skipped).toEqual([{ node: 'matmul', op, reason }]);
  });

  it('refuses models older than opset 11', () => {
    const m = mlpModel();
    m.opsetImport![0]!.version = 10;
    expect(() => quantizeDynamic(m)).toThrow(/needs opset 11 or later .* imports opset 10/);
  });

  it('lifts IR 3 models to IR 4 (IR 3 wanted initializers listed as inputs)', async () => {
    const m = mlpModel();
    m.irVersion = 3;
    const { model } = quantizeDynamic(m);
    expect(Number(model.irVersion)).toBe(4);
    const out = await runOnnx({ bytes: encodeOnnx(model), feeds: { x: floatFeed([2, 16], 1) } });
    expect(out.y!.dims).toEqual([2, 10]);
  });

  it('does not modify its input model', () => {
    const m = mlpModel();
    const before = encodeOnnx(m);
    quantizeDynamic(m);
    expect(encodeOnnx(m)).toEqual(before);
  });
});
