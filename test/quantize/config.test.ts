import { describe, expect, it } from 'vitest';
import {
  DEFAULT_QUANT_CONFIG, namePattern, parseQuantConfig, parseQuantizeSpec, settingsFor, type QuantConfig,
} from '../../src/quantize/index.js';

describe('parseQuantizeSpec', () => {
  it.each(['dynamic', 'static', 'qat', 'weights:uint8', 'weights:float16', 'weights:int8', 'weights:int4', ' Static '])('accepts %j', (text) => {
    expect(parseQuantizeSpec(text).mode).toBe(text.trim().toLowerCase());
  });
  it.each(['', 'int8', 'weights:int2', 'weights'])('refuses %j naming --quantize and the choices', (text) => {
    expect(() => parseQuantizeSpec(text)).toThrow(/--quantize: unknown mode/);
    try { parseQuantizeSpec(text); } catch (e) { expect((e as { suggestion: string }).suggestion).toContain('weights:float16'); }
  });
});

describe('parseQuantConfig', () => {
  const full: QuantConfig = {
    mode: 'qat',
    weights: { bits: 4, perChannel: false, symmetric: true, narrowRange: false },
    activations: { observer: 'percentile', observerOptions: { percentile: 99.9, bins: 1024 } },
    calibration: { samples: 100, batchSize: 10 },
    foldBatchNorm: false,
    fuseActivations: false,
    qat: { epochs: 2, batchSize: 32, learningRate: 0.001, seed: 7, averagingConstant: 0 },
    overrides: [
      { match: { class: 'Conv2D' }, weights: { bits: 8 } },
      { match: { name: '/^fc[0-9]$/' }, exclude: true, activations: { observer: 'entropy' } },
    ],
  };

  it('fills defaults from an empty object', () => {
    expect(parseQuantConfig({})).toEqual(DEFAULT_QUANT_CONFIG);
  });

  it('round-trips a full config through JSON unchanged', () => {
    expect(parseQuantConfig(JSON.parse(JSON.stringify(full)))).toEqual(full);
    expect(parseQuantConfig(JSON.parse(JSON.stringify(parseQuantConfig(full))))).toEqual(full);
  });

  it.each([
    [[], /config must be a JSON object/],
    [{ mode: 'int4' }, /mode is not a quantization mode/],
    [{ weights: { bits: 1 } }, /weights.bits must be an integer in \[2, 8\]/],
    [{ weights: { perChanel: true } }, /weights.perChanel is not a known setting/],
    [{ activations: { observer: 'kl' } }, /activations.observer is not an observer: "kl"/],
    [{ activations: { observerOptions: { percentile: 'high' } } }, /observerOptions.percentile must be a number/],
    [{ calibration: { samples: 0 } }, /calibration.samples must be an integer/],
    [{ qat: { learningRate: -1 } }, /qat.learningRate must be a number/],
    [{ overrides: [{ exclude: true }] }, /overrides\[0\].match needs 'class' and\/or 'name'/],
    [{ overrides: [{ match: { name: '/(/' } }] }, /overrides\[0\].match.name is not a valid regular expression/],
    [{ foldBatchNorm: 'yes' }, /foldBatchNorm must be true or false/],
  ])('refuses %j with a message naming the setting', (config, message) => {
    expect(() => parseQuantConfig(config, 'q.json')).toThrow(message);
    expect(() => parseQuantConfig(config, 'q.json')).toThrow(/^q\.json: /);
  });
});

describe('settingsFor', () => {
  const config = parseQuantConfig({
    weights: { bits: 8 },
    overrides: [
      { match: { class: 'Conv2D' }, weights: { bits: 6 } },
      { match: { name: 'conv_*' }, activations: { observer: 'mse' } },
      { match: { class: 'Dense', name: 'head' }, exclude: true },
    ],
  });
  it.each([
    ['conv_1', 'Conv2D', false, 6, 'mse'],
    ['conv1', 'Conv2D', false, 6, 'minmax'],
    ['conv_1', 'Dense', false, 8, 'mse'],
    ['head', 'Dense', true, 8, 'minmax'],
    ['head', 'Conv2D', false, 6, 'minmax'],
  ] as const)('%s (%s): exclude=%s bits=%i observer=%s', (name, className, exclude, bits, observer) => {
    const s = settingsFor(config, { name, className });
    expect([s.exclude, s.weights.bits, s.activations.observer]).toEqual([exclude, bits, observer]);
  });

  it.each([
    ['fc*', 'fc1', true], ['fc*', 'xfc1', false], ['fc?', 'fc12', false], ['a.b', 'aXb', false], ['/^a.b$/', 'aXb', true],
  ])('pattern %s on %s -> %s', (pattern, name, want) => {
    expect(namePattern(pattern).test(name)).toBe(want);
  });
});
