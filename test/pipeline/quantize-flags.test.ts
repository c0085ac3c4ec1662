import { describe, expect, it } from 'vitest';
import { configFromFlags } from '../../src/pipeline/index.js';

describe('compress int8 flags', () => {
  it.each([
    [{ quantize: 'static', observer: 'entropy', calibSamples: 256, perChannel: false }, 'ptq', { mode: 'static', observer: 'entropy', calibSamples: 256, perChannel: false }],
    [{ quantize: 'qat', observer: 'percentile' }, 'qat', { observer: 'percentile' }],
    [{ quantize: 'dynamic', perChannel: true }, 'ptq', { mode: 'dynamic', perChannel: true }],
  ])('%j sets the %s step options', (flags, step, options) => {
    const config = configFromFlags(flags);
    const s = config.steps.find((x) => x.step === step)!;
    expect(s.options).toMatchObject(options);
  });

  it.each([
    [{ observer: 'entropy' }, /--observer: there is no int8 step/],
    [{ prune: 'magnitude:0.5', calibSamples: 10 }, /--calib-samples: there is no int8 step/],
    [{ quantize: 'static', observer: 'banana' }, /observer/],
  ])('%j is refused', (flags, message) => {
    expect(() => configFromFlags(flags)).toThrow(message);
  });
});
