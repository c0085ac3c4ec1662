import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/data/random.js';
import { compactInt8Config, shortestFloat32 } from '../../src/runtime/config.js';
import { QuantizedConv2D, QuantizedDense } from '../../src/runtime/index.js';

const f32 = Math.fround;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('shortestFloat32', () => {
  it.each([
    ['1/255', f32(1 / 255), 0.003921569],
    ['0.1', f32(0.1), 0.1],
    ['an integer', 16, 16],
    ['zero', 0, 0],
    ['a large value', f32(4.922733306884766), 4.9227333],
    ['a tiny value', f32(1.234e-30), 1.234e-30],
    ['a double that is no float32 stays as it is', 0.1, 0.1],
    ['a double that is no float32 stays as it is (2)', 1 / 3, 1 / 3],
    ['NaN', NaN, NaN],
    ['Infinity', -Infinity, -Infinity],
  ])('%s', (_, v, want) => {
    expect(Object.is(shortestFloat32(v), want)).toBe(true);
  });

  it('reads back to the same float32 with at most 9 significant digits, over 5000 random float32 values', () => {
    const r = mulberry32(11);
    let saved = 0;
    for (let i = 0; i < 5000; i++) {
      const v = f32((r() - 0.5) * 10 ** Math.floor(r() * 16 - 8));
      const short = shortestFloat32(v);
      expect(f32(short)).toBe(v);
      expect(short.toExponential().replace(/^-|e.*$|\./g, '').length).toBeLessThanOrEqual(9);
      saved += String(v).length - String(short).length;
    }
    expect(saved / 5000).toBeGreaterThan(5);
  });
});

describe('int8 layer configs', () => {
  const quant = { scale: f32(0.0193048), zeroPoint: -128, min: 0, max: f32(4.9227333) };
  it.each([
    ['Dense at its defaults (static)', () => new QuantizedDense({ name: 'd', units: 3, inputDim: 5, inputQuant: quant }),
      { name: 'd', units: 3, inputDim: 5, inputQuant: { scale: 0.0193048, zeroPoint: -128, min: 0, max: 4.9227333 } }],
    ['Dense at its defaults (dynamic)', () => new QuantizedDense({ name: 'd', units: 3, inputDim: 5, mode: 'dynamic' }),
      { name: 'd', units: 3, inputDim: 5, inputQuant: null }],
    ['Dense off its defaults', () => new QuantizedDense({
      name: 'd', units: 3, inputDim: 5, mode: 'dynamic', activation: 'relu', useBias: false, weightSymmetric: false, weightBits: 4, perChannel: false, trainable: true,
    }), { name: 'd', trainable: true, units: 3, inputDim: 5, inputQuant: null, activation: 'relu', useBias: false, weightSymmetric: false, weightBits: 4, perChannel: false }],
    ['Conv2D at its defaults', () => new QuantizedConv2D({ name: 'c', filters: 4, kernelSize: [3, 3], inputChannels: 2, mode: 'static', inputQuant: quant }),
      { name: 'c', filters: 4, kernelSize: [3, 3], inputChannels: 2, inputQuant: { scale: 0.0193048, zeroPoint: -128, min: 0, max: 4.9227333 } }],
    ['Conv2D off its defaults', () => new QuantizedConv2D({ name: 'c', filters: 4, kernelSize: [3, 3], strides: [2, 1], padding: 'same', inputChannels: 2, activation: 'relu6' }),
      { name: 'c', filters: 4, kernelSize: [3, 3], strides: [2, 1], padding: 'same', inputChannels: 2, inputQuant: null, activation: 'relu6' }],
  ])('%s: only what differs from the defaults, and it rebuilds the same layer', (_, make, want) => {
    const layer = make() as QuantizedDense & QuantizedConv2D;
    const config = layer.getConfig();
    expect(config).toEqual(want);
    const again = (layer instanceof QuantizedDense ? new QuantizedDense(config as never) : new QuantizedConv2D(config as never)) as typeof layer;
    for (const key of ['mode', 'inputQuant', 'activation', 'useBias', 'weightBits', 'perChannel', 'trainable', 'units', 'inputDim', 'weightSymmetric',
      'filters', 'kernelSize', 'strides', 'padding', 'inputChannels'] as const) {
      expect(again[key], key).toEqual(layer[key]);
    }
    // exact float32 parameters, not the short decimals of the config
    if (layer.inputQuant) expect(again.inputQuant!.scale).toBe(quant.scale);
  });

  it('keeps mode when it contradicts inputQuant, and reads format-1 configs with every field written out', () => {
    expect(compactInt8Config({ mode: 'dynamic', inputQuant: quant as never }, {})).toMatchObject({ mode: 'dynamic' });
    const old = new QuantizedDense({
      name: 'd', trainable: false, units: 3, inputDim: 5, mode: 'static', activation: 'linear', useBias: true, weightSymmetric: true, weightBits: 8, perChannel: true,
      inputQuant: { scale: 0.019304836168885231, zeroPoint: -128, min: 0, max: 4.922733306884766 },
    });
    expect([old.mode, old.trainable, old.inputQuant!.scale, old.inputQuant!.max]).toEqual(['static', false, f32(0.019304836), f32(4.9227333)]);
    expect(() => new QuantizedDense({ name: 'd', units: 3, inputDim: 5, mode: 'static' })).toThrow(/static QuantizedDense needs inputQuant/);
  });
});
