import { describe, expect, it } from 'vitest';
import { formats } from '../../src/formats/index.js';
import { STEPS, stepImpl, supportedKinds } from '../../src/pipeline/index.js';

/**
 * Every registered step × every registered format: either the step has an implementation for the format, or asking
 * for it is the one UNSUPPORTED error naming the step, the format and the formats it does run on. Derived from the
 * registries, so a new step or format is covered without editing this table.
 */
const pairs = STEPS.flatMap((step) => formats.map((format) => ({ step: step.name, kind: format.kind, s: step })));

describe('step × format support', () => {
  it.each(pairs)('$step on $kind: an implementation or the one clear error', ({ s, kind }) => {
    const supported = supportedKinds(s).includes(kind);
    if (supported) {
      expect(typeof stepImpl(s, kind).run).toBe('function');
    } else {
      expect(() => stepImpl(s, kind)).toThrow(expect.objectContaining({
        code: 'UNSUPPORTED',
        message: expect.stringMatching(new RegExp(`^step '${s.name}' does not run on .+ models \\(it runs on: .+\\)$`)),
      }));
    }
  });

  it('every step runs on tfjs Layers models', () => {
    for (const s of STEPS) expect(supportedKinds(s)).toContain('layers');
  });
});
