import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackInt8 } from '../../src/core/numerics.js';
import { loadModel } from '../../src/formats/index.js';
import type { LoadedLayersModel } from '../../src/formats/types.js';
import { layersModelTargets } from '../../src/prune/targets.js';
import { DataProvider, parsePipelineConfig, runPipeline, ZeroHold } from '../../src/pipeline/index.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { saveTinyMnistModel, TINY_DATA } from './helpers.js';

let dir: string;
let source: LoadedLayersModel;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await makeTmpDir('shrinkml-steps-');
  source = await loadModel(await saveTinyMnistModel(dir)) as LoadedLayersModel;
});
afterAll(async () => {
  source.model.dispose();
  await removeTmpDir(dir);
});

const run = (steps: unknown[]) => runPipeline({ model: source.model, config: parsePipelineConfig({ steps }), data: new DataProvider(TINY_DATA) });
const PRUNE = { step: 'prune', options: { method: 'magnitude:0.8:global' } };

/** Kernel zero masks by layer, [K, N] row-major. */
function zeros(model: tf.LayersModel): Record<string, boolean[]> {
  return Object.fromEntries(layersModelTargets(model).map((t) => [t.layer, Array.from(t.read().dataSync()).map((v) => v === 0)]));
}

describe('steps keep pruned zeros', () => {
  it('distill trains the pruned model against the input model without refilling its zeros', async () => {
    const pruned = await run([PRUNE]);
    const expected = zeros(pruned.model);
    pruned.model.dispose();
    const distilled = await run([PRUNE, { step: 'distill', options: { epochs: 1, batchSize: 64 } }]);
    expect(zeros(distilled.model)).toEqual(expected);
    expect(distilled.steps[1]!.summary).toMatchObject({ teacher: 'source', heldZeros: true });
    // It did train: the surviving weights moved.
    const before = (await run([PRUNE])).model;
    const moved = layersModelTargets(distilled.model)[0]!.read().sub(layersModelTargets(before)[0]!.read()).abs().max().dataSync()[0]!;
    expect(moved).toBeGreaterThan(1e-4);
    tf.dispose([before, distilled.model]);
  });

  it('QAT holds the pruned zeros while it fine-tunes: their int8 codes are 0 with nothing to set back', async () => {
    const pruned = await run([PRUNE]);
    const expected = zeros(pruned.model);
    pruned.model.dispose();
    const qat = await run([PRUNE, { step: 'qat', options: { epochs: 2, learningRate: 0.01, calibSamples: 64 } }]);
    expect(qat.steps[1]!.summary).toMatchObject({ heldZeros: ['fc1', 'fc2'], prunedCodesRezeroed: 0 });
    for (const [layer, mask] of Object.entries(expected)) {
      const l = qat.model.getLayer(layer);
      const packed = l.weights.find((w) => w.originalName.endsWith('/kernel_q'))!;
      const n = packed.shape[0]!;
      const k = mask.length / n;
      const rows = unpackInt8(packed.read().dataSync() as Int32Array, { rowLength: k });
      // rows[j·K + i] is kernel[i, j].
      const codeZero = Array.from({ length: k * n }, (_, at) => rows[(at % n) * k + Math.floor(at / n)] === 0);
      expect(codeZero.filter((z, at) => mask[at] && !z)).toEqual([]);
    }
    expect(qat.output.shrinkml.format).toBe(1);
    qat.model.dispose();
  });

  it('distill into a narrower student: fresh seeded weights, same output width', async () => {
    const a = await run([{ step: 'distill', options: { epochs: 1, studentWidth: 0.5 } }]);
    expect(a.model.getLayer('fc1').getWeights()[0]!.shape).toEqual([784, 12]);
    expect(a.model.outputs[0]!.shape).toEqual([null, 10]);
    a.model.dispose();
  });
});

describe('ZeroHold', () => {
  it('re-applies the zeros a training step refilled, and nothing else', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, name: 'd' })] });
    const kernel = model.layers[0]!.weights[0]!;
    tf.tidy(() => { kernel.write(tf.tensor2d([[0, 1], [2, 0], [3, 4]])); });
    const hold = await ZeroHold.of(model);
    tf.tidy(() => { kernel.write(tf.add(kernel.read(), 0.5)); });
    hold.afterBatch();
    expect(Array.from(kernel.read().dataSync())).toEqual([0, 1.5, 2.5, 0, 3.5, 4.5]);
    model.dispose();
  });
});
