import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { executeGraph } from '../../src/formats/graph.js';
import { FIXTURES, stock } from './helpers.js';

// executeGraph is the one place every graph run goes through (adapter runner, measurement, calibration, int4 bit
// search): execute() where the graph allows it, so tfjs does not warn once per run that executeAsync was not needed.
describe('executeGraph', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs a graph without control flow synchronously: same outputs as executeAsync, no tfjs warning', async () => {
    await tf.setBackend('cpu');
    const model = await tf.loadGraphModel(stock(path.join(FIXTURES, 'emotion/emotion.json')));
    const x = tf.randomUniform([2, 64, 64, 1], -1, 1, 'float32', 7);
    const warn = vi.spyOn(console, 'warn');
    const before = tf.memory().numTensors;
    const [y] = await executeGraph(model, x);
    expect(warn).not.toHaveBeenCalled();
    const expected = (await model.executeAsync(x)) as tf.Tensor;
    expect(warn).toHaveBeenCalled(); // the warning executeGraph avoids: proves the spy sees it
    expect(y!.shape).toEqual([2, 7]);
    expect(Array.from(await y!.data())).toEqual(Array.from(await expected.data()));
    tf.dispose([y!, expected]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
