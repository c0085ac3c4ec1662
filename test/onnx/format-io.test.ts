import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isShrinkmlError } from '../../src/core/errors.js';
import { decodeOnnx, encodeOnnx, loadOnnx, makeTensor, onnx, onnxFormat, writeOnnx } from '../../src/formats/onnx/index.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { attr } from '../../src/onnx/attrs.js';
import { convModel, floatFeed, ifModel, mlpModel } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'shrinkml-onnx-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isShrinkmlError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a ShrinkmlError');
}

/** Protobuf wire helpers to forge what protobufjs refuses to write (unknown fields). */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) { out.push((n % 128) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}
const field = (num: number, bytes: Uint8Array | number[]) => Uint8Array.from([...varint(num * 8 + 2), ...varint(bytes.length), ...bytes]);
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('ONNX read/write round trip', () => {
  it.each([
    ['mlp, initializer weights', () => mlpModel(), { x: floatFeed([3, 16], 11) }],
    ['mlp, Constant-node weights', () => mlpModel({ weights: 'constant' }), { x: floatFeed([3, 16], 11) }],
    ['conv', () => convModel(), { x: floatFeed([2, 1, 8, 8], 12) }],
    ['If with subgraphs', () => ifModel(), { x: floatFeed([2, 4], 13), cond: { data: BigInt64Array.from([1n]), dims: [] } }],
  ])('%s: decode → encode is byte-identical and onnxruntime gives identical outputs', async (_name, build, feeds) => {
    const original = encodeOnnx(build());
    const { model, stats } = decodeOnnx(original, 'm.onnx');
    const again = encodeOnnx(model);
    expect(Buffer.from(again).equals(Buffer.from(original))).toBe(true);
    expect(stats.nodes).toBeGreaterThan(0);
    const out = path.join(dir, `${_name.replace(/\W+/g, '-')}.onnx`);
    await writeOnnx({ model, out });
    const loaded = await loadOnnx(out);
    const [a, b] = await Promise.all([runOnnx({ bytes: original, feeds }), runOnnx({ bytes: loaded.bytes, feeds })]);
    expect(Object.keys(b)).toEqual(['y']);
    expect(Array.from(b.y!.data as Float32Array)).toEqual(Array.from(a.y!.data as Float32Array));
  });

  it('loadOnnx reports inputs, outputs and stats; the adapter only claims .onnx files', async () => {
    const out = path.join(dir, 'view.onnx');
    writeFileSync(out, encodeOnnx(convModel({ weights: 'constant' })));
    const loaded = await onnxFormat.read(out);
    expect(loaded.kind).toBe('onnx');
    expect(loaded.inputs).toEqual([{ name: 'x', dtype: 'float', shape: ['N', 1, 8, 8] }]);
    expect(loaded.outputs).toEqual([{ name: 'y', dtype: 'float', shape: ['N', 5] }]);
    expect(loaded.meta).toMatchObject({ irVersion: 8, opsets: { 'ai.onnx': 13 }, nodes: 13, floatParams: 36 + 4 + 216 + 6 + 120 + 5 });
    expect(await onnxFormat.canRead(out)).toBe(true);
    expect(await onnxFormat.canRead(dir)).toBe(false);
    expect(await onnxFormat.canRead(path.join(dir, 'missing.onnx'))).toBe(false);
  });

  it('refuses to overwrite the input model or an existing file without force', async () => {
    const out = path.join(dir, 'guarded.onnx');
    writeFileSync(out, encodeOnnx(mlpModel()));
    const loaded = await loadOnnx(out);
    await expect(writeOnnx({ model: loaded.model, out, force: true })).rejects.toMatchObject({ code: 'EXISTS' });
    const other = path.join(dir, 'other.onnx');
    await writeOnnx({ model: loaded.model, out: other });
    await expect(writeOnnx({ model: loaded.model, out: other })).rejects.toMatchObject({ code: 'EXISTS' });
    await expect(writeOnnx({ model: loaded.model, out: path.join(dir, 'x.bin') })).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });
});

describe('ONNX untrusted input', () => {
  const good = encodeOnnx(mlpModel());
  const withInit = (t: onnx.ITensorProto) => {
    const m = mlpModel();
    m.graph!.initializer!.push(onnx.TensorProto.create(t));
    return encodeOnnx(m);
  };
  const unknownNodeField = () => {
    // A NodeProto field 99 (no ONNX version defines it) on an extra node appended to the graph.
    const node = concat(onnx.NodeProto.encode({ opType: 'Identity', input: ['y'], output: ['z'] }).finish(), field(99, field(1, [0x61])));
    const m = mlpModel();
    const graph = concat(onnx.GraphProto.encode(m.graph!).finish(), field(1, node));
    return concat(onnx.ModelProto.encode({ irVersion: 10, opsetImport: m.opsetImport }).finish(), field(7, graph));
  };
  const nested = (depth: number) => {
    let g = new GraphBuilder('leaf');
    g.node('Identity', ['x'], { outputs: ['y'] });
    let graph = g.graph();
    for (let i = 0; i < depth; i++) {
      g = new GraphBuilder(`level${i}`);
      g.node('If', ['c'], { outputs: ['y'], attrs: [attr.graph('then_branch', graph), attr.graph('else_branch', graph)] });
      graph = g.graph();
    }
    return encodeOnnx({ irVersion: 8, opsetImport: [{ version: 13 }], graph });
  };

  it.each([
    ['empty file', () => new Uint8Array(0), {}, 'BAD_INPUT', /empty file/],
    ['random bytes', () => Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff), {}, 'BAD_INPUT', /not a valid ONNX protobuf/],
    ['truncated file', () => good.subarray(0, good.length - 7), {}, 'BAD_INPUT', /declares \d+ bytes but only \d+ remain|truncated/],
    ['a JSON file', () => new TextEncoder().encode('{"modelTopology": {}}'), {}, 'BAD_INPUT', /not a valid ONNX protobuf|no ir_version/],
    ['field unknown to the schema', unknownNodeField, {}, 'UNSUPPORTED', /NodeProto has field 99.*re-encoding would drop it/],
    ['FLOAT4E2M1 initializer (IR 11)', () => withInit({ name: 'f4', dims: [2], dataType: 23, rawData: new Uint8Array(1) }), {}, 'UNSUPPORTED', /FLOAT4E2M1 \(23\).*IR 10 does not have/],
    ['INT2 input type (IR 13)', () => { const m = mlpModel(); m.graph!.input![0]!.type!.tensorType!.elemType = 26; return encodeOnnx(m); }, {}, 'UNSUPPORTED', /INT2/],
    ['short INT4 raw_data', () => withInit({ name: 'i4', dims: [5], dataType: 22, rawData: new Uint8Array(2) }), {}, 'BAD_INPUT', /'i4': holds 2 bytes of raw data, but dims \[5\] of INT4 need 3/],
    ['short raw_data', () => withInit({ name: 'short', dims: [4, 4], dataType: 1, rawData: new Uint8Array(60) }), {}, 'BAD_INPUT', /'short': holds 60 bytes of raw data, but dims \[4, 4\] of FLOAT need 64/],
    ['short float_data', () => withInit({ name: 'few', dims: [3], dataType: 1, floatData: [1, 2] }), {}, 'BAD_INPUT', /'few': holds 2 values, but dims \[3\] need 3/],
    ['huge declared dims', () => withInit({ name: 'big', dims: [65536, 65536], dataType: 1, rawData: new Uint8Array(4) }), {}, 'LIMIT', /'big': declares dims \[65536, 65536\], over the limit/],
    ['external data', () => withInit({ name: 'ext', dims: [2], dataType: 1, dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] }), {}, 'UNSUPPORTED', /'ext': stores its data in an external file/],
    ['non-finite weight', () => withInit(makeTensor({ name: 'nan', dims: [2], dtype: 'float32', values: [1, NaN] })), {}, 'NON_FINITE', /'nan': non-finite value NaN at index 1/],
    ['huge declared input', () => { const m = mlpModel(); m.graph!.input![0]!.type!.tensorType!.shape!.dim = [{ dimValue: 1 << 20 }, { dimValue: 1 << 20 }]; return encodeOnnx(m); }, {}, 'LIMIT', /'x' declares shape/],
    ['IR version 11', () => encodeOnnx({ ...mlpModel(), irVersion: 11 }), {}, 'UNSUPPORTED', /IR version 11 is not supported/],
    ['no graph', () => encodeOnnx({ irVersion: 8, opsetImport: [{ version: 13 }] }), {}, 'BAD_INPUT', /no graph/],
    ['too many nodes', () => good, { maxNodes: 2 }, 'LIMIT', /more than 2 nodes/],
    ['too deeply nested', () => nested(12), { maxDepth: 20 }, 'LIMIT', /nested deeper than 20/],
  ])('%s', (_name, bytes, options, code, message) => {
    const e = errorOf(() => decodeOnnx(bytes(), 'bad.onnx', options));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(/^bad\.onnx: /);
    expect(e.message).toMatch(message);
  });

  it('accepts IR 10 files, and deep nesting within the limit', () => {
    expect(decodeOnnx(encodeOnnx({ ...mlpModel(), irVersion: 10 }), 'ok.onnx').model.graph!.node!.length).toBe(4);
    expect(decodeOnnx(nested(12), 'deep.onnx').stats.subgraphs).toBe(2 ** 13 - 2);
  });

  it('allowNonFinite turns NaN weights into a warning; ±Infinity is a value (masks, bounds) and loads without one', () => {
    const warnings: string[] = [];
    const m = mlpModel();
    m.graph!.initializer!.push(makeTensor({ name: 'nan', dims: [2], dtype: 'float32', values: [Infinity, NaN] }));
    decodeOnnx(encodeOnnx(m), 'w.onnx', { allowNonFinite: true, onWarn: (w) => warnings.push(w) });
    expect(warnings).toEqual(["w.onnx: main: initializer 'nan': non-finite value NaN at index 1"]);
    const inf = mlpModel();
    inf.graph!.initializer!.push(makeTensor({ name: 'floor', dims: [2], dtype: 'float32', values: [-Infinity, Infinity] }));
    decodeOnnx(encodeOnnx(inf), 'w.onnx', { onWarn: (w) => warnings.push(w) });
    expect(warnings).toHaveLength(1);
  });

  it('loadOnnx names the file on disk in errors', async () => {
    const file = path.join(dir, 'broken.onnx');
    writeFileSync(file, good.subarray(0, 20));
    await expect(loadOnnx(file)).rejects.toMatchObject({ code: 'BAD_INPUT', subject: expect.stringContaining('broken.onnx') });
    expect(readFileSync(file).length).toBe(20);
  });
});
