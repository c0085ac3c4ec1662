import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeOnnx, encodeOnnx, toNumber } from '../../src/formats/onnx/index.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { floatFeed } from './fixtures.js';

// Written by scripts/make-onnx-ir10-fixtures.py (onnx's Python API, IR 9/10 fields as current exporters write them).
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(import.meta.dirname, 'fixtures', name)));

describe('IR 10 files decode and re-encode without loss', () => {
  it('IR 10 / opset 18 with com.microsoft ops, node/graph/value/tensor metadata_props and a model-local function with an overload', async () => {
    const bytes = fixture('ir10-opset18.onnx');
    const { model } = decodeOnnx(bytes, 'ir10-opset18.onnx');
    expect(toNumber(model.irVersion)).toBe(10);
    const g = model.graph!;
    expect(g.node!.find((n) => n.name === 'matmul')!.metadataProps).toEqual([{ key: 'pkg.module', value: 'encoder.layers.0.fc' }]);
    expect(g.node!.find((n) => n.name === 'scale')!.overload).toBe('v2');
    expect(g.metadataProps).toEqual([{ key: 'graph.note', value: 'main' }]);
    expect(g.input![0]!.metadataProps).toEqual([{ key: 'input.note', value: 'features' }]);
    expect(g.initializer!.find((t) => t.name === 'w')!.metadataProps).toEqual([{ key: 'exporter.note', value: 'weight' }]);
    const f = model.functions![0]!;
    expect([f.name, f.overload, f.valueInfo!.map((v) => v.name), f.metadataProps]).toEqual(['Scale', 'v2', ['X'], [{ key: 'function.note', value: 'local' }]]);
    const again = encodeOnnx(model);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    const feeds = { x: floatFeed([3, 4], 21) };
    const [a, b] = await Promise.all([runOnnx({ bytes, feeds }), runOnnx({ bytes: again, feeds })]);
    expect(Array.from(b.y!.data as Float32Array)).toEqual(Array.from(a.y!.data as Float32Array));
    // y = s - mean(s) over the last axis: every row sums to 0.
    for (let r = 0; r < 3; r++) expect(Math.abs([0, 1, 2].reduce((s, c) => s + (a.y!.data as Float32Array)[r * 3 + c]!, 0))).toBeLessThan(1e-5);
  });

  it('IR 10 / opset 21 INT4 and FLOAT8 tensors: sizes checked, bytes kept, onnxruntime output matches a reference', async () => {
    const bytes = fixture('ir10-int4.onnx');
    const { model } = decodeOnnx(bytes, 'ir10-int4.onnx');
    expect(model.graph!.initializer!.map((t) => [t.name, t.dataType, t.rawData!.length])).toEqual([['w4', 22, 6], ['f8', 17, 3], ['scale', 1, 4], ['one', 1, 4]]);
    const again = encodeOnnx(model);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
    const x = floatFeed([2, 4], 22);
    // Unoptimized: onnxruntime's optimizer fuses DequantizeLinear(int4) → MatMul into MatMulNBits, whose kernel
    // may quantize the activations (about 1% off the exact product).
    const session = { optimization: 'disabled' as const };
    const [a, b] = await Promise.all([runOnnx({ bytes, feeds: { x }, session }), runOnnx({ bytes: again, feeds: { x }, session })]);
    expect(Array.from(b.y!.data as Float32Array)).toEqual(Array.from(a.y!.data as Float32Array));
    const q = [-8, -3, 0, 1, 7, 2, -1, 5, 3, -6, 4, 6];
    const gain = [1, 2, -0.5];
    const expected = [0, 1].flatMap((r) => [0, 1, 2].map((c) => gain[c]! * [0, 1, 2, 3].reduce((s, k) => s + x.data[r * 4 + k]! * q[k * 3 + c]! * 0.25, 0)));
    (a.y!.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });
});
