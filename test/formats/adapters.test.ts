import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatOf, formats, loadModel } from '../../src/formats/index.js';
import type { FormatAdapter } from '../../src/formats/registry.js';
import type { HostTensor, LoadedModel } from '../../src/formats/types.js';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { writeFixtureModel, seededValues } from '../fixtures/models.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { mlpModel } from '../onnx/fixtures.js';

/**
 * The format adapter contract (src/formats/registry.ts), checked the same way for every format that implements
 * it: the runner gives the format's own runtime's outputs, clones are independent, weight writes are seen by a new
 * runner and survive write → read, and the hash follows the weights.
 */
let dir: string;
const cases: { name: string; path: () => string; feed: () => Record<string, HostTensor>; reference: (feed: Record<string, HostTensor>) => Promise<Float32Array> }[] = [
  {
    name: 'tfjs-layers',
    path: () => join(dir, 'layers'),
    feed: () => ({ input: { data: seededValues(3 * 4, 5), dims: [3, 4] } }),
    reference: async (feed) => {
      const loaded = await loadModel(join(dir, 'layers'));
      const m = loaded.model as tf.LayersModel;
      const y = m.predict(tf.tensor(feed.input!.data as Float32Array, [3, 4])) as tf.Tensor;
      const out = y.dataSync() as Float32Array;
      tf.dispose([y]); m.dispose();
      return out;
    },
  },
  {
    name: 'onnx',
    path: () => join(dir, 'mlp.onnx'),
    feed: () => ({ x: { data: seededValues(3 * 16, 5), dims: [3, 16] } }),
    reference: async (feed) => (await runOnnx({ bytes: encodeOnnx(mlpModel()), feeds: feed })).y!.data as Float32Array,
  },
];

beforeAll(async () => {
  dir = await makeTmpDir('shrinkml-adapters-');
  await writeFixtureModel({ kind: 'sequential', dir: join(dir, 'layers') });
  writeFileSync(join(dir, 'mlp.onnx'), encodeOnnx(mlpModel()));
});
afterAll(() => removeTmpDir(dir));

async function runOnce(adapter: FormatAdapter, model: LoadedModel, feed: Record<string, HostTensor>): Promise<Float32Array> {
  const runner = await adapter.runner(model);
  try {
    const { outputs, ms } = await runner.run(feed);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(Object.keys(outputs)).toEqual(runner.outputs.map((o) => o.name));
    return outputs[runner.outputs[0]!.name]!.data as Float32Array;
  } finally {
    await runner.dispose();
  }
}

describe.each(cases)('format adapter: $name', (c) => {
  it('is registered, sniffs its files, and the runner gives the reference runtime\'s outputs', async () => {
    const loaded = await loadModel(c.path());
    const adapter = formatOf(loaded);
    expect(adapter.name).toBe(c.name);
    expect(formats.filter((f) => f.kind === loaded.kind)).toHaveLength(1);
    try {
      const feed = c.feed();
      // Inputs are declared by name with their dims; the feed uses exactly those names.
      expect(adapter.inputs(loaded)).toHaveLength(Object.keys(feed).length);
      expect(adapter.inputs(loaded)[0]!.shape.slice(1)).toEqual(Object.values(feed)[0]!.dims.slice(1));
      expect(adapter.inputs(loaded)[0]!.dtype).toBe('float32');
      const got = await runOnce(adapter, loaded, feed);
      const want = await c.reference(feed);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    } finally {
      adapter.dispose(loaded);
    }
  });

  it('clones independently; weight writes change the outputs, the hash and the written file', async () => {
    const loaded = await loadModel(c.path());
    const adapter = formatOf(loaded);
    const copy = await adapter.clone(loaded);
    try {
      const kernels = adapter.weights(copy).filter((w) => w.role === 'kernel');
      expect(kernels.length).toBeGreaterThanOrEqual(2);
      expect(await adapter.hash(copy)).toBe(await adapter.hash(loaded));
      const w = kernels[0]!;
      const values = await w.read();
      expect(values.length).toBe(w.shape.reduce((a, b) => a * b, 1));
      w.write(values.map(() => 0));
      expect(Array.from(await adapter.weights(copy).find((v) => v.name === w.name)!.read()).every((v) => v === 0)).toBe(true);
      // The original is untouched.
      expect(Array.from(await adapter.weights(loaded).find((v) => v.name === w.name)!.read())).toEqual(Array.from(values));
      expect(await adapter.hash(copy)).not.toBe(await adapter.hash(loaded));
      const feed = c.feed();
      const before = await runOnce(adapter, loaded, feed);
      const after = await runOnce(adapter, copy, feed);
      expect(Array.from(after)).not.toEqual(Array.from(before));

      const out = join(dir, `${c.name}-out${c.name === 'onnx' ? '.onnx' : ''}`);
      const saved = await adapter.write(copy, out, { extraFiles: { 'note.json': { ok: 1 } } });
      const back = await loadModel(saved.modelJsonPath);
      try {
        expect(await adapter.hash(back)).toBe(await adapter.hash(copy));
        expect(Array.from(await runOnce(adapter, back, feed))).toEqual(Array.from(after));
      } finally {
        adapter.dispose(back);
      }
      // Never over an existing output without force.
      await expect(adapter.write(copy, out)).rejects.toThrow(/exists|refusing/);
    } finally {
      adapter.dispose(copy);
      adapter.dispose(loaded);
    }
  });
});
