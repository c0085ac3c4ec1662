import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseQuantConfig, runQat } from '../../src/quantize/index.js';
import { useWasm } from './helpers.js';
import { mlp, synthetic } from './models.js';

beforeAll(useWasm);

const train = synthetic({ count: 80, sampleShape: [12], split: 'train', seed: 41 });
const config = (epochs: number) => parseQuantConfig({ mode: 'qat', qat: { epochs, batchSize: 32, learningRate: 1e-3 } });

describe('runQat callbacks', () => {
  it('are called in fit() order on the QAT model: 2 epochs of 80 samples in batches of 32 are 3 batches each', async () => {
    const model = mlp();
    const events: string[] = [];
    let trained: string[] = [];
    const r = await runQat({
      model, config: config(2), ranges: {}, train,
      callbacks: [{
        onTrainBegin: () => { events.push('train'); },
        onEpochBegin: (e) => { events.push(`epoch ${e}`); },
        onBatchBegin: (b, logs) => { events.push(`batch ${b} (${logs!.size})`); },
        onBatchEnd: (b, logs) => { events.push(`end ${b}`); expect(logs!.loss).toBeGreaterThan(0); },
        onEpochEnd: (e, logs) => { events.push(`end epoch ${e}`); expect(logs!.loss).toBeGreaterThan(0); },
        onTrainEnd: () => { events.push('end train'); },
      }, new (class extends tf.Callback {
        override async onTrainBegin() { trained = this.model.layers.map((l) => l.getClassName()); }
      })()],
    });
    const epoch = (e: number) => [`epoch ${e}`, 'batch 0 (32)', 'end 0', 'batch 1 (32)', 'end 1', 'batch 2 (16)', 'end 2', `end epoch ${e}`];
    expect(events).toEqual(['train', ...epoch(0), ...epoch(1), 'end train']);
    expect(trained).toEqual(['ShrinkmlQatDense', 'ShrinkmlQatDense', 'Activation', 'ShrinkmlQatDense']);
    expect(r.summary.epochs).toHaveLength(2);
    tf.dispose([r.model, model]);
  });

  it('a callback that sets model.stopTraining ends training after that epoch', async () => {
    const model = mlp();
    const stopper = new (class extends tf.Callback {
      override async onEpochEnd(epoch: number) { if (epoch === 1) this.model.stopTraining = true; }
    })();
    const r = await runQat({ model, config: config(5), ranges: {}, train, callbacks: [stopper] });
    expect(r.summary.epochs.map((e) => e.epoch)).toEqual([0, 1]);
    tf.dispose([r.model, model]);
  });
});
