import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backends/index.js';
import { tfjsGraph } from '../../src/formats/graph.js';
import type { LoadedGraphModel } from '../../src/formats/types.js';
import { graphCluster, graphPrune, graphWeightFormat } from '../../src/pipeline/steps/graph.js';
import { emptyOutputPlan } from '../../src/pipeline/steps/types.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';

/** The tfjs-graph format adapter's editing half and the weight-only steps over it, on a real depthwise graph model. */
const MODEL = path.resolve('test/fixtures/real/emotion/emotion.json');
let tmp: string;
let source: LoadedGraphModel;
const x = () => tf.randomUniform([2, 64, 64, 1], -1, 1, 'float32', 7);

beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
  tmp = await makeTmpDir();
  source = await tfjsGraph.read(MODEL);
});
afterAll(async () => {
  tfjsGraph.dispose(source);
  await removeTmpDir(tmp);
});

function ctx(model: LoadedGraphModel) {
  return { model, source, adapter: tfjsGraph, data: undefined as never, seed: 1, quick: false, levels: {}, output: emptyOutputPlan() };
}

async function run(model: LoadedGraphModel): Promise<Float32Array> {
  const runner = await tfjsGraph.runner(model);
  const name = runner.inputs[0]!.name;
  const input = x();
  const { outputs } = await runner.run({ [name]: { dims: input.shape, data: input.dataSync() as Float32Array } });
  input.dispose();
  await runner.dispose();
  return Float32Array.from(Object.values(outputs)[0]!.data as Float32Array);
}

describe('tfjs-graph adapter', () => {
  it('lists the 13 kernels (conv, depthwise) as kernel weights, biases as bias', () => {
    const refs = tfjsGraph.weights(source);
    expect(refs.filter((w) => w.role === 'kernel').length).toBe(13);
    expect(refs.filter((w) => w.role === 'bias').length).toBeGreaterThan(0);
    expect(refs.find((w) => w.role === 'kernel' && w.op === 'DepthwiseConv2dNative')).toBeDefined();
  });

  it('clone is independent: pruning the copy changes its hash and outputs, never the source', async () => {
    const before = await tfjsGraph.hash(source);
    const copy = await tfjsGraph.clone(source);
    expect(await tfjsGraph.hash(copy)).toBe(before);
    const pruned = await graphPrune.run({ method: 'magnitude:0.5' }, ctx(copy));
    expect(await tfjsGraph.hash(pruned.model)).not.toBe(before);
    expect(await tfjsGraph.hash(source)).toBe(before);
    const k = tfjsGraph.weights(pruned.model).find((w) => w.role === 'kernel')!;
    const values = await k.read();
    expect(values.filter((v) => v === 0).length / values.length).toBeGreaterThanOrEqual(0.49);
    tfjsGraph.dispose(copy);
  });

  it('weight-format int8: the runner measures what is written, and the written model loads in stock tfjs', async () => {
    const copy = await tfjsGraph.clone(source);
    const c = ctx(copy);
    const { model } = await graphWeightFormat.run({ encoding: 'int8' }, c);
    expect(model.storage).toBe('int8');
    expect(Object.values(c.output.weightBits).filter((b) => b === 8).length).toBe(13);
    const measured = await run(model);
    const saved = await tfjsGraph.write(model, path.join(tmp, 'int8'));
    const json = JSON.parse(readFileSync(saved.modelJsonPath, 'utf8'));
    const stock = await tf.loadGraphModel(tf.io.fromMemory(json.modelTopology, json.weightsManifest[0].weights,
      new Uint8Array(readFileSync(path.join(tmp, 'int8', json.weightsManifest[0].paths[0]))).buffer));
    const input = x();
    const y = stock.predict(input) as tf.Tensor;
    const reference = await run(source);
    expect(Array.from(y.dataSync() as Float32Array).map((v, i) => Math.abs(v - measured[i]!)).every((d) => d < 1e-5)).toBe(true);
    expect(Array.from(measured).map((v, i) => Math.abs(v - reference[i]!)).every((d) => d < 0.05)).toBe(true);
    tf.dispose([input, y]);
    stock.dispose();
    tfjsGraph.dispose(copy);
  });

  it.each(['int8', 'int4'] as const)('weight-format %s read back: the runner computes what stock tfjs loads (codes kept, not re-quantized)', async (encoding) => {
    // A written model's codes are uint8 manifest entries; keeping "the storage as read" once re-quantized them on a
    // new zero-exact grid (up to half a code off), so every report of a written int8/int4 graph measured another model.
    const copy = await tfjsGraph.clone(source);
    const { model } = await graphWeightFormat.run({ encoding }, ctx(copy));
    const saved = await tfjsGraph.write(model, path.join(tmp, `back-${encoding}`));
    const back = await tfjsGraph.read(saved.modelJsonPath);
    const measured = await run(back);
    const input = x();
    const y = back.model.predict(input) as tf.Tensor;
    const stock = y.dataSync() as Float32Array;
    expect(Math.max(...Array.from(measured, (v, i) => Math.abs(v - stock[i]!)))).toBeLessThan(1e-6);
    tf.dispose([input, y]);
    tfjsGraph.dispose(back);
    tfjsGraph.dispose(copy);
  });

  it('weight-format int4: the write reports its encoding, a second write with new lineage reuses it, an edited weight is encoded anew', async () => {
    const copy = await tfjsGraph.clone(source);
    const { model } = await graphWeightFormat.run({ encoding: 'int4' }, ctx(copy));
    const events: { phase: string; done: number; total: number }[] = [];
    const onProgress = (e: { phase: string; done: number; total: number }) => events.push(e);
    const first = await tfjsGraph.write(model, path.join(tmp, 'twice-1'), { onProgress, shrinkml: { run: 1 } });
    const weights = model.graph.weights.length;
    expect(events.filter((e) => e.phase === 'encode').map((e) => e.done)).toEqual(Array.from({ length: weights }, (_, i) => i + 1));
    const widths = events.filter((e) => e.phase === 'int4 widths');
    expect(widths.length).toBeGreaterThan(0);
    expect(widths.at(-1)!.done).toBe(widths.at(-1)!.total);
    events.length = 0;
    // compress stages a graph model twice (the second time with the measured metrics in the lineage).
    const second = await tfjsGraph.write(model, path.join(tmp, 'twice-2'), { onProgress, shrinkml: { run: 2 } });
    expect(events).toEqual([]);
    const jsonOf = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
    expect(jsonOf(second.modelJsonPath).shrinkml).toEqual({ run: 2 });
    expect({ ...jsonOf(second.modelJsonPath), shrinkml: undefined }).toEqual({ ...jsonOf(first.modelJsonPath), shrinkml: undefined });
    expect(readFileSync(second.weightFiles[0]!)).toEqual(readFileSync(first.weightFiles[0]!));
    // A step that edits a weight replaces its values: the next write must encode the edited model, not reuse.
    const kernel = tfjsGraph.weights(model).find((w) => w.role === 'kernel')!;
    kernel.write((await kernel.read()).map((v) => v * 0.5));
    const third = await tfjsGraph.write(model, path.join(tmp, 'twice-3'), { onProgress });
    expect(events.filter((e) => e.phase === 'encode').length).toBe(weights);
    expect(readFileSync(third.weightFiles[0]!)).not.toEqual(readFileSync(first.weightFiles[0]!));
    // What is written now is the edited model: stock tfjs on the third output computes what the view's runner does.
    const back = await tfjsGraph.read(third.modelJsonPath);
    const unedited = await tfjsGraph.read(first.modelJsonPath);
    const [now, written, old] = [await run(model), await run(back), await run(unedited)];
    expect(Math.max(...Array.from(now, (v, i) => Math.abs(v - written[i]!)))).toBeLessThan(1e-6);
    expect(Math.max(...Array.from(now, (v, i) => Math.abs(v - old[i]!)))).toBeGreaterThan(1e-3);
    tfjsGraph.dispose(unedited);
    tfjsGraph.dispose(back);
    tfjsGraph.dispose(copy);
  });

  it.each(['int8', 'int4'] as const)('weight-format %s with exclude: the excluded kernels are written as stored, the rest quantized, and stock tfjs loads it', async (encoding) => {
    const copy = await tfjsGraph.clone(source);
    const kernels = tfjsGraph.weights(copy).filter((w) => w.role === 'kernel');
    // By weight name, and by the name of the node that reads it (converted graphs name weights `unknown_26`).
    const conv = kernels.find((w) => w.op === '_FusedConv2D')!;
    const first = conv.name;
    const depthwise = kernels.filter((w) => w.node.includes('separable_conv2d_3/')).map((w) => w.name);
    expect(depthwise.length).toBe(1);
    const warnings: string[] = [];
    const c = { ...ctx(copy), onWarn: (m: string) => warnings.push(m) };
    const { model, summary } = await graphWeightFormat.run({ encoding, exclude: [first, '/separable_conv2d_3\\/separable_conv2d\\/depthwise$/'] }, c);
    expect(warnings).toEqual([]);
    expect((summary as { kept: string[] }).kept.sort()).toEqual([first, ...depthwise].sort());
    expect(c.output.weightBits[first]).toBeUndefined();
    expect(c.output.weightBits[kernels.find((w) => w.op === '_FusedConv2D' && w.name !== first)!.name]).toBe(encoding === 'int8' ? 8 : 4);
    const saved = await tfjsGraph.write(model, path.join(tmp, `exclude-${encoding}`));
    const json = JSON.parse(readFileSync(saved.modelJsonPath, 'utf8'));
    const entries: { name: string; dtype: string; quantization?: unknown }[] = json.weightsManifest[0].weights;
    // Kept: the input's float32 entry under the weight's own name, no codes; every other kernel has codes.
    for (const name of [first, ...depthwise]) {
      expect(entries.find((e) => e.name === name)).toMatchObject({ dtype: 'float32' });
      expect(entries.find((e) => e.name === name)!.quantization).toBeUndefined();
      expect(entries.some((e) => e.name.startsWith(name + '/shrinkml_q'))).toBe(false);
    }
    const quantized = kernels.filter((w) => w.name !== first && !depthwise.includes(w.name));
    expect(quantized.every((w) => entries.some((e) => e.name.startsWith(w.name + '/shrinkml_q')))).toBe(true);
    const stock = await tf.loadGraphModel(tf.io.fromMemory(json.modelTopology, entries as tf.io.WeightsManifestEntry[],
      new Uint8Array(readFileSync(path.join(tmp, `exclude-${encoding}`, json.weightsManifest[0].paths[0]))).buffer));
    const back = await tfjsGraph.read(saved.modelJsonPath);
    const kept = await tfjsGraph.weights(back).find((w) => w.name === first)!.read();
    expect(Array.from(kept)).toEqual(Array.from(await conv.read()));
    const input = x();
    const y = stock.predict(input) as tf.Tensor;
    const measured = await run(model);
    expect(Math.max(...Array.from(y.dataSync() as Float32Array, (v, i) => Math.abs(v - measured[i]!)))).toBeLessThan(1e-5);
    tf.dispose([input, y]);
    stock.dispose();
    tfjsGraph.dispose(back);
    tfjsGraph.dispose(copy);
  });

  it('writes a single-file output (name.json + name.bin) the way compress stages it', async () => {
    const saved = await tfjsGraph.write(source, path.join(tmp, 'single', 'emotion.json'));
    expect(saved.weightFiles.map((f) => path.basename(f))).toEqual(['emotion.bin']);
    const reread = await tfjsGraph.read(saved.modelJsonPath);
    expect(await tfjsGraph.hash(reread)).toBe(await tfjsGraph.hash(source));
    tfjsGraph.dispose(reread);
  });

  it('refuses what a graph model cannot do, as one line', () => {
    expect(graphPrune.refuse!({ method: 'structured:0.5' })).toMatch(/structured pruning/);
    expect(graphCluster.refuse!({ clusters: 16, finetuneEpochs: 2 })).toMatch(/one-shot/);
    expect(graphWeightFormat.refuse!({ encoding: 'uint16' })).toMatch(/uint16/);
  });
});
