// Gradients through our wasm kernels: numeric vs analytic, a small CNN's loss curve on wasm vs cpu, FakeQuant STE.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { fakeQuant, registerKernels } from '../../kernels/index.js';
import { seeded } from '../../kernels/testing-data.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  await registerKernels();
});

function rnd(shape: number[], seed: number): tf.Tensor {
  const r = seeded(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => r() * 2 - 1), shape);
}

type ConvCase = [string, (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor, number[], number[]];
const CONVS: ConvCase[] = [
  ['conv2d stride 2 same', (x, w) => tf.conv2d(x, w, 2, 'same'), [2, 7, 6, 3], [3, 3, 3, 5]],
  ['conv2d valid', (x, w) => tf.conv2d(x, w, 1, 'valid'), [1, 6, 6, 4], [5, 5, 4, 8]],
  ['depthwise same', (x, w) => tf.depthwiseConv2d(x, w, 1, 'same'), [2, 5, 5, 4], [3, 3, 4, 1]],
  ['depthwise multiplier 2 stride 2', (x, w) => tf.depthwiseConv2d(x, w, 2, 'valid'), [1, 7, 7, 2], [3, 3, 2, 2]],
];

describe('conv gradients on wasm: analytic vs numeric', () => {
  it.each(CONVS)('%s', async (_name, op, xShape, wShape) => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = rnd(xShape, 1) as tf.Tensor4D, w = rnd(wShape, 2) as tf.Tensor4D;
    const probe = tf.tidy(() => rnd(op(x, w).shape, 3));
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), probe));
    const [gx, gw] = tf.grads(f)([x, w]);
    // The loss is linear in each argument, so a central difference is exact up to float32 rounding.
    const eps = 0.5;
    for (const [which, t, g] of [[0, x, gx!], [1, w, gw!]] as const) {
      const flat = await t.data();
      const analytic = await g.data();
      for (const i of [0, Math.floor(flat.length / 3), flat.length - 1]) {
        const numeric = tf.tidy(() => {
          const bump = (d: number) => {
            const v = Float32Array.from(flat); v[i] = v[i]! + d;
            const moved = tf.tensor(v, t.shape);
            return which === 0 ? f(moved, w) : f(x, moved);
          };
          return (bump(eps).dataSync()[0]! - bump(-eps).dataSync()[0]!) / (2 * eps);
        });
        expect(Math.abs(numeric - analytic[i]!)).toBeLessThan(1e-3 * (1 + Math.abs(analytic[i]!)));
      }
    }
    tf.dispose([x, w, probe, gx!, gw!]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

function lenetLike(): tf.Sequential {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  return tf.sequential({ layers: [
    tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 5, padding: 'same', activation: 'relu', kernelInitializer: init(1) }),
    tf.layers.batchNormalization(),
    tf.layers.maxPooling2d({ poolSize: 2 }),
    tf.layers.depthwiseConv2d({ kernelSize: 3, depthwiseInitializer: init(2) }),
    tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', kernelInitializer: init(3) }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(4) }),
  ] });
}

async function lossCurve(backend: string, steps: number): Promise<number[]> {
  await tf.setBackend(backend);
  const model = lenetLike();
  model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
  const x = rnd([16, 12, 12, 1], 11);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 3), 'int32'), 3);
  const losses: number[] = [];
  let warm = 0;
  for (let s = 0; s < steps; s++) {
    losses.push(Number(await model.trainOnBatch(x, y)));
    if (s === 0) warm = tf.memory().numTensors;
  }
  expect(tf.memory().numTensors).toBe(warm); // no tensor leak per step
  tf.dispose([x, y]);
  model.dispose();
  return losses;
}

describe('BatchNorm training gradient: one kernel on wasm (FusedBatchNormGrad) = the composite on cpu', () => {
  it.each([[[8, 6, 6, 6]], [[5, 4, 4, 3]], [[12, 7]]])('x %j through moments, as tfjs-layers trains it', async (shape) => {
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      const C = shape[shape.length - 1]!;
      const x = rnd(shape, 21), gamma = tf.add(rnd([C], 22), 1.5), beta = rnd([C], 23), probe = rnd(shape, 24);
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(a, shape.slice(0, -1).map((_, i) => i));
        return tf.sum(tf.mul(tf.batchNorm(a, mean, variance, b, g, 1e-3), probe));
      };
      let gs: tf.Tensor[] = [];
      const profile = await tf.profile(() => { gs = tf.grads(f)([x, gamma, beta]); return gs; });
      expect(profile.kernelNames.includes('FusedBatchNormGrad')).toBe(backend === 'wasm');
      const out = await Promise.all(gs.map((g) => g.data()));
      tf.dispose([x, gamma, beta, probe, ...gs]);
      return out;
    };
    const cpu = await grads('cpu');
    const wasm = await grads('wasm');
    for (const [i, want] of cpu.entries()) {
      const scale = Math.max(...Array.from(want, Math.abs));
      for (let j = 0; j < want.length; j++) expect(Math.abs(wasm[i]![j]! - want[j]!)).toBeLessThan(1e-4 * (1 + scale));
    }
  });
});

describe('a CNN trains on wasm', () => {
  it('computes no input gradient for the first conv (its input is data: tfjs prunes it from the tape)', async () => {
    await tf.setBackend('wasm');
    const model = lenetLike();
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const x = rnd([4, 12, 12, 1], 11);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0], 'int32'), 3);
    const profile = await tf.profile(async () => { await model.trainOnBatch(x, y); });
    const count = (name: string) => profile.kernels.filter((k) => k.name === name).length;
    expect(count('Conv2DBackpropFilter')).toBe(2); // both convs' filters
    expect(count('Conv2DBackpropInput')).toBe(1); // the second conv only
    tf.dispose([x, y]);
    model.dispose();
  });

  it('follows the cpu loss curve for 6 SGD steps', async () => {
    const cpu = await lossCurve('cpu', 6);
    const wasm = await lossCurve('wasm', 6);
    expect(cpu[5]!).toBeLessThan(cpu[0]!); // it learns
    for (let i = 0; i < 6; i++) expect(Math.abs(wasm[i]! - cpu[i]!)).toBeLessThan(1e-3 * (1 + cpu[i]!));
  });
});

describe('FakeQuant gradient (clipped STE)', () => {
  it.each(['cpu', 'wasm'])('%s: passes dy inside the range, 0 where clamped', async (backend) => {
    await tf.setBackend(backend);
    const x = tf.tensor2d([[-1, 0.26, 0.9], [0.5, -0.13, 2]]);
    const dy = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    // Per channel: scales [0.5, 0.1, 0.25], int8 narrow range [-3, 3] to make clamping easy to see.
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fakeQuant({ x: t, scale: [0.5, 0.1, 0.25], zeroPoint: [0, 1, 0], qmin: -3, qmax: 3 }), dy)))(x);
    // x / s + z: [-2, 3.6, 3.6], [1, -0.3, 8] -> inside: [1, 0, 0], [1, 1, 0]
    expect(Array.from(await g.data())).toEqual([1, 0, 0, 4, 5, 0]);
    const y = fakeQuant({ x, scale: [0.5, 0.1, 0.25], zeroPoint: [0, 1, 0], qmin: -3, qmax: 3 });
    expect(Array.from(await y.data()).map((v) => Math.round(v * 1000) / 1000)).toEqual([-1, 0.2, 0.75, 0.5, -0.1, 0.75]);
    tf.dispose([x, dy, g, y]);
  });
});
