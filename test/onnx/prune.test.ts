import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeOnnx, tensorToFloat32 } from '../../src/formats/onnx/index.js';
import { pruneOnnx } from '../../src/onnx/prune.js';
import { quantizeDynamic } from '../../src/onnx/dynamic.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { GraphEditor } from '../../src/onnx/graph.js';
import { convModel, floatFeed, mlpModel } from './fixtures.js';

describe('unstructured magnitude pruning', () => {
  it.each([
    ['layer scope, initializers', () => mlpModel({ inputs: 64, hidden: 64 }), 'layer', 'initializer'],
    ['layer scope, Constant nodes', () => mlpModel({ inputs: 64, hidden: 64, weights: 'constant' }), 'layer', 'constant'],
    ['global scope, conv model', () => convModel(), 'global', 'initializer'],
  ] as const)('%s: exact sparsity, model still runs', async (_name, build, scope, source) => {
    const float = build();
    const { model, report } = pruneOnnx(float, { sparsity: 0.75, scope });
    const total = report.weights.reduce((a, w) => a + w.size, 0);
    const zeros = report.weights.reduce((a, w) => a + w.zeros, 0);
    expect(zeros).toBe(Math.round(total * 0.75));
    if (scope === 'layer') report.weights.forEach((w) => expect(w.zeros).toBe(Math.round(w.size * 0.75)));
    expect(report.weights.every((w) => w.weightSource === source)).toBe(true);
    // The zeros are the smallest magnitudes of each pruned weight.
    const g = new GraphEditor(model);
    const before = new GraphEditor(float);
    for (const w of report.weights) {
      const orig = tensorToFloat32(before.weight(w.weight)!.tensor);
      const now = tensorToFloat32(g.weight(w.weight)!.tensor);
      const keptMin = Math.min(...Array.from(now).filter((v) => v !== 0).map(Math.abs));
      const prunedMax = Math.max(...Array.from(orig).filter((_, i) => now[i] === 0).map(Math.abs));
      expect(prunedMax).toBeLessThanOrEqual(keptMin);
      if (scope === 'layer') expect(now.filter((v, i) => v !== 0 && v !== orig[i]).length).toBe(0);
    }
    const dims = source === 'constant' || _name.startsWith('layer') ? [2, 64] : [2, 1, 8, 8];
    const out = await runOnnx({ bytes: encodeOnnx(model), feeds: { x: floatFeed(dims, 1) } });
    expect(out.y!.data.length).toBe(dims[0]! * (_name.includes('conv') ? 5 : 10));
  });

  it('shrinks the gzip size, and more once quantized', () => {
    const float = mlpModel({ inputs: 256, hidden: 128 });
    const pruned = pruneOnnx(float, { sparsity: 0.9 }).model;
    const gz = (m: typeof float) => gzipSync(encodeOnnx(m)).length;
    expect(gz(pruned) / gz(float)).toBeLessThan(0.35);
    expect(gz(quantizeDynamic(pruned).model) / gz(float)).toBeLessThan(0.12);
  });

  it.each([[-0.1], [1], [Number.NaN]])('rejects sparsity %s', (s) => {
    expect(() => pruneOnnx(mlpModel(), { sparsity: s })).toThrow(/out of range \[0, 1\)/);
  });

  it('respects exclude and minElements', () => {
    const { report } = pruneOnnx(convModel(), { sparsity: 0.5, exclude: ['gemm'], minElements: 40 });
    expect(report.weights.map((w) => w.weight)).toEqual(['conv2_w']);
  });
});
