import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeOnnx, type ModelProto } from '../../src/formats/onnx/index.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { graphProblems } from '../../src/onnx/opset/index.js';
import { firstLine } from '../../src/onnx/ort.js';
import { createSession } from '../../src/onnx/runtime.js';
import { runCli } from '../cli/run.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { ifModel, mlpModel } from './fixtures.js';

let dir: string;
beforeAll(async () => { dir = await makeTmpDir('shrinkml-onnx-validate-'); });
afterAll(async () => { await removeTmpDir(dir); });

function relu(opset: number, edit: (g: GraphBuilder, x: string) => string = (g, x) => g.op('Relu', [x])): ModelProto {
  const g = new GraphBuilder();
  const x = g.input('x', [2, 3]);
  g.output(edit(g, x), [2, 3]);
  return g.model({ opset });
}

/** Graphs onnxruntime refuses to load, and what shrinkml says about each. */
const INVALID: [string, () => ModelProto, RegExp][] = [
  ['unknown op', () => relu(13, (g, x) => g.op('Frobnicate', [x])), /Frobnicate node 'frobnicate': Frobnicate is not an ONNX operator/],
  ['op newer than the opset', () => relu(13, (g, x) => g.op('Gelu', [x])), /Gelu node 'gelu': Gelu needs opset 20 or later; the model imports opset 13/],
  ['op removed at the opset', () => relu(11, (g, x) => g.op('Upsample', [x, g.initializer('s', [2], [1, 2])])), /Upsample was removed at opset 10/],
  ['opset 999', () => relu(999), /it imports ai\.onnx opset 999; the newest ONNX opset is 28/],
  ['cycle', () => relu(13, (g, x) => {
    g.node('Add', [x, 'b'], { name: 'a', outputs: ['a'] });
    g.node('Relu', ['a'], { name: 'b', outputs: ['b'] });
    return 'b';
  }), /the nodes form a cycle through node '[ab]'/],
  ['duplicate node outputs', () => relu(13, (g, x) => {
    g.node('Relu', [x], { name: 'r1', outputs: ['y'] });
    g.node('Neg', [x], { name: 'r2', outputs: ['y'] });
    return 'y';
  }), /Neg node 'r2': output 'y' is also produced by node 'r1'/],
  ['undefined input', () => relu(13, (g, x) => g.op('Add', [x, 'nowhere'])), /Add node 'add': input 'nowhere' is not produced/],
];

describe('ONNX graph validity (what onnxruntime refuses at load)', () => {
  it.each(INVALID)('%s: named, and onnxruntime refuses it too', async (_name, build, message) => {
    const problems = graphProblems(build());
    expect(problems[0]).toMatch(message);
    await expect(createSession(encodeOnnx(build()))).rejects.toMatchObject({ code: 'BAD_INPUT' });
  });

  it('valid models, subgraphs reading outer values included, have no problems', () => {
    expect(graphProblems(mlpModel())).toEqual([]);
    expect(graphProblems(mlpModel({ weights: 'constant' }))).toEqual([]);
    expect(graphProblems(ifModel())).toEqual([]);
  });

  it.each(INVALID)('inspect refuses %s: exit 2, one line on stderr', async (name, build) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.onnx`);
    writeFileSync(file, encodeOnnx(build()));
    const r = await runCli('inspect', file);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/invalid ONNX graph: /);
  });

  it("onnxruntime's opset error becomes one clean line", async () => {
    const e = await createSession(encodeOnnx(relu(999))).catch((x: unknown) => x as Error);
    expect((e as Error).message).toMatch(/^model: onnxruntime cannot load it \(the model imports ai\.onnx opset 999; this onnxruntime supports up to opset \d+\)$/);
    expect(firstLine(new Error('/src/a/b.cc:12 void f(int, const std::string&) Something failed\nmore'))).toBe('Something failed');
  });
});
