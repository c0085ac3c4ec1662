import { describe, expect, it } from 'vitest';
import { isShrinkmlError } from '../../src/core/errors.js';
import { decodeOnnx, encodeOnnx, type ModelProto } from '../../src/formats/onnx/index.js';
import { attr } from '../../src/onnx/attrs.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { defaultOpset, hoistConstants, upgradeOpset } from '../../src/onnx/opset/index.js';
import { runOnnx, type HostTensor } from '../../src/onnx/runtime.js';
import { floatFeed, mlpModel } from './fixtures.js';
import { UPGRADE_CASES } from './opset-cases.js';

async function maxDiff(a: ModelProto, b: ModelProto, feeds: Record<string, HostTensor>): Promise<{ diff: number; outputs: number }> {
  const [ra, rb] = await Promise.all([runOnnx({ bytes: encodeOnnx(a), feeds }), runOnnx({ bytes: encodeOnnx(b), feeds })]);
  let diff = 0;
  for (const [name, t] of Object.entries(ra)) {
    const u = rb[name]!;
    expect(u.dims).toEqual(t.dims);
    const [p, q] = [Array.from(t.data as ArrayLike<number | bigint>, Number), Array.from(u.data as ArrayLike<number | bigint>, Number)];
    p.forEach((v, i) => { diff = Math.max(diff, Math.abs(v - q[i]!)); });
  }
  return { diff, outputs: Object.keys(ra).length };
}

function errorOf(fn: () => unknown): { code: string; message: string } {
  try { fn(); } catch (e) { if (isShrinkmlError(e)) return { code: e.code, message: e.message }; throw e; }
  throw new Error('expected a ShrinkmlError');
}

describe('upgradeOpset: each rewritten op gives the same outputs in onnxruntime', () => {
  it.each(UPGRADE_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const original = c.model();
    const before = encodeOnnx(original);
    const { model, from, to, rewritten } = upgradeOpset(original, c.target, { file: 'case.onnx' });
    expect(Buffer.from(encodeOnnx(original)).equals(Buffer.from(before))).toBe(true);
    expect([from, to, defaultOpset(model)]).toEqual([defaultOpset(original), c.target, c.target]);
    expect(rewritten).toEqual(c.rewritten);
    decodeOnnx(encodeOnnx(model), 'upgraded.onnx');
    const { diff, outputs } = await maxDiff(original, model, c.feeds);
    expect(outputs).toBeGreaterThan(0);
    expect(diff).toBeLessThanOrEqual(1e-5);
  });

  it('leaves a model already at the target alone', () => {
    const m = mlpModel();
    expect(upgradeOpset(m, 11)).toEqual({ model: m, from: 13, to: 13, rewritten: {} });
  });

  const blocked = (build: (g: GraphBuilder, x: string) => string, opset = 11) => () => {
    const g = new GraphBuilder();
    const x = g.input('x', [2, 3, 4]);
    g.output(build(g, x), [null, null, null]);
    return g.model({ opset });
  };
  it.each([
    ['an op the converter does not know', blocked((g, x) => g.op('FancyNewOp', [x])), /FancyNewOp node 'fancynewop': FancyNewOp is not an ONNX operator the converter knows/],
    ['Softmax over a middle axis', blocked((g, x) => g.op('Softmax', [x], { attrs: [attr.int('axis', 1)] })), /Softmax node 'softmax': axis 1 is not the last axis of its rank-3 input/],
    ['an op newer than the model opset', blocked((g, x) => g.op('Gelu', [x])), /Gelu node 'gelu': Gelu is not an opset 11 operator/],
    ['a change without a rewrite', blocked((g, x) => g.op('Tile', [x, g.initializer('t', [1], [2], 'int64'), g.initializer('a', [1], [0], 'int64')]), 5), /Tile node 'tile': the converter has no rewrite to Tile-6/],
  ])('blocks %s: one line naming the node', (_name, build, message) => {
    const e = errorOf(() => upgradeOpset(build(), 13, { file: 'm.onnx' }));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toMatch(/^m\.onnx: cannot upgrade opset \d+ to 13: /);
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain('\n');
  });
});

describe('hoistConstants', () => {
  it('moves Constant-node weights into initializers; outputs unchanged', async () => {
    const original = mlpModel({ weights: 'constant' });
    const model = decodeOnnx(encodeOnnx(original), 'm.onnx').model;
    const constants = original.graph!.node!.filter((n) => n.opType === 'Constant').length;
    expect(constants).toBeGreaterThan(0);
    expect(hoistConstants(model)).toBe(constants);
    expect(model.graph!.node!.some((n) => n.opType === 'Constant')).toBe(false);
    expect(model.graph!.initializer!.length).toBe(original.graph!.initializer!.length + constants);
    const { diff } = await maxDiff(original, model, { x: floatFeed([3, 16], 5) });
    expect(diff).toBe(0);
  });
});
