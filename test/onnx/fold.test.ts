import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeOnnx } from '../../src/formats/onnx/index.js';
import { foldBatchNorms } from '../../src/onnx/fold.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { convModel, exportedLenet, floatFeed } from './fixtures.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

describe('BatchNormalization folding', () => {
  it('folds each Conv → BN pair and keeps the outputs', async () => {
    const float = exportedLenet();
    const { model, folded } = foldBatchNorms(float);
    expect(folded.map((f) => f.batchNorm)).toEqual([expect.stringMatching(/^bn1/), expect.stringMatching(/^bn2/)]);
    expect(model.graph!.node!.some((n) => n.opType === 'BatchNormalization')).toBe(false);
    const input = float.graph!.input![0]!.name!;
    const feeds = { [input]: floatFeed([3, 10, 10, 1], 6) };
    const [a, b] = [Object.values(await runOnnx({ bytes: encodeOnnx(float), feeds }))[0]!, Object.values(await runOnnx({ bytes: encodeOnnx(model), feeds }))[0]!];
    const err = Math.max(...Array.from(a.data as Float32Array, (v, i) => Math.abs(v - (b.data as Float32Array)[i]!)));
    expect(err).toBeLessThan(1e-4);
  });

  it('leaves graphs without Conv → BN alone', () => {
    const { model, folded } = foldBatchNorms(convModel());
    expect(folded).toEqual([]);
    expect(encodeOnnx(model)).toEqual(encodeOnnx(convModel()));
  });
});
