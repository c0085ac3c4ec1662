import * as tf from '@tensorflow/tfjs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { toFloat16 } from '../../src/formats/encode.js';
import { formats, loadModel, tfjsGraph, tfjsLayers } from '../../src/formats/index.js';
import type { LoadedGraphModel } from '../../src/formats/types.js';
import { editModelJson, writeFixtureModel } from '../fixtures/models.js';
import { writeGraphFixture } from '../fixtures/graph.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { runCli } from '../cli/run.js';
import { GRAPH_WEIGHT_MODES } from '../../src/formats/graph/quantize.js';
import { stock } from './helpers.js';

let tmp: string;
let n = 0;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await makeTmpDir();
});
afterAll(() => removeTmpDir(tmp));

const W = [[0.5, -1], [2, 0.25], [-0.75, 1.5]];
const b = [0.1, -0.2];
const X = [[1, 2, 3], [-1, 0, 4], [0.5, 0.5, 0.5], [0, 0, 0]];
const expected = X.map((row) => b.map((bj, j) => row.reduce((s, xi, i) => s + xi * W[i][j], bj)));

async function run(model: tf.GraphModel): Promise<number[][]> {
  const x = tf.tensor2d(X);
  const y = model.predict(x) as tf.Tensor;
  const out = (await y.array()) as number[][];
  tf.dispose([x, y]);
  return out;
}

describe('tfjs-graph', () => {
  it('loads a hand-written MatMul + BiasAdd graph model and predicts x·W + b', async () => {
    const { dir } = await writeGraphFixture(path.join(tmp, `g${n++}`), W, b);
    const loaded = await loadModel(dir) as LoadedGraphModel;
    expect(loaded.kind).toBe('graph');
    expect(loaded.weightSpecs.map((s) => s.name)).toEqual(['W', 'b']);
    expect(loaded.meta.format).toBe('graph-model');
    const y = await run(loaded.model);
    y.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 5)));
    loaded.model.dispose();
  });

  it('loads float16-stored weights (manifest quantization) with decodeWeights semantics', async () => {
    const { dir } = await writeGraphFixture(path.join(tmp, `g${n++}`), W, b);
    await editModelJson(path.join(dir, 'model.json'), (m) => { m.weightsManifest[0].weights[0].quantization = { dtype: 'float16' }; });
    const halves = toFloat16(new Float32Array(W.flat()));
    const rest = new Float32Array(b);
    const data = new Uint8Array(halves.byteLength + rest.byteLength);
    data.set(new Uint8Array(halves.buffer), 0);
    data.set(new Uint8Array(rest.buffer), halves.byteLength);
    await fsp.writeFile(path.join(dir, 'group1-shard1of1.bin'), data);
    const loaded = await loadModel(dir) as LoadedGraphModel;
    // These weights are exactly representable in float16, so predictions are unchanged.
    const y = await run(loaded.model);
    y.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 5)));
    expect(loaded.meta.weightDtypes).toEqual({ float16: 1, float32: 1 });
    loaded.model.dispose();
  });

  it('is detected from modelTopology.node even without format', async () => {
    const { dir } = await writeGraphFixture(path.join(tmp, `g${n++}`), W, b);
    await editModelJson(path.join(dir, 'model.json'), (m) => { delete m.format; });
    expect(await tfjsGraph.canRead(dir)).toBe(true);
    expect(await tfjsLayers.canRead(dir)).toBe(false);
    const loaded = await loadModel(dir);
    expect(loaded.kind).toBe('graph');
    loaded.model.dispose();
  });

  it('does not grow the tensor count across load/dispose', async () => {
    const { dir } = await writeGraphFixture(path.join(tmp, `g${n++}`), W, b);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const loaded = await loadModel(dir) as LoadedGraphModel;
      await run(loaded.model);
      loaded.model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a graph tfjs cannot build fails naming the file and frees the decoded weights', async () => {
    const { dir } = await writeGraphFixture(path.join(tmp, `g${n++}`), W, b);
    await editModelJson(path.join(dir, 'model.json'), (m) => { delete m.modelTopology.versions; });
    const before = tf.memory().numTensors;
    const e = await loadModel(dir).then(() => null, (err: unknown) => err) as ShrinkmlError;
    expect(e).toBeInstanceOf(ShrinkmlError);
    expect(e.message).toMatch(/model\.json: cannot build the graph model/);
    expect(tf.memory().numTensors).toBe(before);
  });

  /**
   * y = max(x·W + b, floor) with a scalar Const floor: -Infinity (a no-op floor, as real graphs hold: faceboxes'
   * NMS score_threshold, nanodet's PadV2 constant_values before a max pool) or NaN.
   */
  async function withFloor(floor: number): Promise<string> {
    const { dir } = await writeGraphFixture(path.join(tmp, `g${n++}`), W, b);
    await editModelJson(path.join(dir, 'model.json'), (m) => {
      const nodes = m.modelTopology.node;
      nodes.splice(nodes.length - 1, 0,
        { name: 'floor', op: 'Const', attr: { value: { tensor: { dtype: 'DT_FLOAT', tensorShape: {} } }, dtype: { type: 'DT_FLOAT' } } },
        { name: 'Maximum', op: 'Maximum', input: ['BiasAdd', 'floor'], attr: { T: { type: 'DT_FLOAT' } } });
      nodes[nodes.length - 1].input = ['Maximum'];
      m.weightsManifest[0].weights.push({ name: 'floor', shape: [], dtype: 'float32' });
    });
    await fsp.writeFile(path.join(dir, 'group1-shard1of1.bin'), new Uint8Array(new Float32Array([...W.flat(), ...b, floor]).buffer));
    return dir;
  }

  it('a -Infinity constant loads, and every weight mode keeps it exact in a model stock tfjs loads; NaN is still refused', async () => {
    const dir = await withFloor(-Infinity);
    const loaded = await loadModel(dir) as LoadedGraphModel;
    const y = await run(loaded.model);
    y.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 5)));
    loaded.model.dispose();
    for (const mode of GRAPH_WEIGHT_MODES.filter((m) => m !== 'float32')) {
      const out = path.join(tmp, `floor-${mode}`);
      const r = await runCli('compress', dir, '--quantize', `weights:${mode}`, '--out', out, '--backend', 'cpu', '--no-latency');
      expect(r.code, r.stderr).toBe(0);
      // Data-free: the run says the outputs were not compared, and how to compare them.
      expect(r.stderr).toMatch(/^note: outputs not compared with the input model \(no --data\); `shrinkml eval .*model\.json --data <inputs>`/m);
      const json = JSON.parse(await fsp.readFile(path.join(out, 'model.json'), 'utf8'));
      expect(json.weightsManifest[0].weights.find((w: { name: string }) => w.name === 'floor')).toEqual({ name: 'floor', shape: [], dtype: 'float32' });
      const model = await tf.loadGraphModel(stock(path.join(out, 'model.json')));
      const got = await run(model);
      // The floor mishandled (quantized on a grid) gives NaN or a finite floor above the outputs; the tolerances are the
      // modes' own rounding of W (|x| sums to at most 7): float16 rounds b (0.1) by 2e-5, uint8/int8 steps ≤ 3/255, int4 2/7.
      const tolerance = { float16: 1e-4, uint8: 0.05, int8: 0.05, int4: 1 }[mode];
      got.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - expected[i][j]), `${mode} [${i}][${j}]`).toBeLessThan(tolerance)));
      model.dispose();
    }
    const nan = await loadModel(await withFloor(NaN)).then(() => null, (err: unknown) => err) as ShrinkmlError;
    expect(nan).toBeInstanceOf(ShrinkmlError);
    expect(nan.code).toBe('NON_FINITE');
    expect(nan.message).toMatch(/weight 'floor' has 1 non-finite value \(first NaN at index 0\)/);
  });

  it('the registry keeps each adapter to its own files', async () => {
    const layersDir = path.join(tmp, `l${n++}`);
    await writeFixtureModel({ kind: 'sequential', dir: layersDir });
    const { dir: graphDir } = await writeGraphFixture(path.join(tmp, `g${n++}`), W, b);
    const readers = async (p: string) => (await Promise.all(formats.map(async (f) => (await f.canRead(p)) ? f.name : null))).filter(Boolean);
    expect(await readers(layersDir)).toEqual(['tfjs-layers']);
    expect(await readers(graphDir)).toEqual(['tfjs-graph']);
    expect(await readers(path.join(tmp, 'missing'))).toEqual([]);
  });
});
