import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultBatchSize, loadData } from '../../src/data/index.js';
import { CALIBRATION_HOLD_OUT, DataProvider } from '../../src/pipeline/index.js';
import { tempDir, writeNpy } from './fixtures.js';

/** A single .npy of `n` samples whose one value is the sample's index, so a split's samples name themselves. */
function indexed(n: number): string {
  return writeNpy(join(tempDir(), 'x.npy'), [n, 1], Array.from({ length: n }, (_, i) => i), '<f4');
}

const ids = (d: { x: Float32Array }) => Array.from(d.x);

describe('a single-set source with a calibration hold-out', () => {
  it('calibrates, chooses and reports on three disjoint sets that cover it', async () => {
    const source = indexed(300);
    const [calibration, validation, test] = await Promise.all((['calibration', 'validation', 'test'] as const).map((split) => loadData({ source, split, holdOut: 64 })));
    expect([calibration.count, validation.count, test.count]).toEqual([64, 118, 118]);
    const all = [...ids(calibration), ...ids(validation), ...ids(test)];
    expect(new Set(all).size).toBe(300);
    // Validation and test keep the file's order (a folder of images is shuffled once when it is decoded).
    expect(ids(validation)).toEqual([...ids(validation)].sort((a, b) => a - b));
    expect(Math.max(...ids(validation))).toBeLessThan(Math.min(...ids(test)));
    // A smaller calibration sample is the first part of the hold-out, never from validation or test.
    expect(ids(await loadData({ source, split: 'calibration', limit: 16, holdOut: 64 }))).toEqual(ids(calibration).slice(0, 16));
  });

  it.each([[191, 'under 3× the hold-out'], [300, 'no hold-out asked']])('%i samples, %s: every split serves the whole set, as before', async (n, why) => {
    const source = indexed(n);
    const holdOut = why === 'no hold-out asked' ? undefined : 64;
    for (const split of ['validation', 'test'] as const) expect((await loadData({ source, split, holdOut })).count).toBe(n);
  });

  it('the pipeline holds out CALIBRATION_HOLD_OUT samples, or the config\'s calibrationSamples', async () => {
    const source = indexed(400);
    expect((await new DataProvider({ source }).get('validation', 'test')).count).toBe((400 - CALIBRATION_HOLD_OUT) / 2);
    const provider = new DataProvider({ source, calibrationSamples: 100 });
    expect([(await provider.get('calibration', 'test')).count, (await provider.get('validation', 'test')).count]).toEqual([100, 150]);
  });

  it('a source with its own train and test sets ignores the hold-out', async () => {
    const withHoldOut = await loadData({ source: 'mnist', split: 'validation', limit: 10, holdOut: 64 });
    expect(ids(withHoldOut)).toEqual(ids(await loadData({ source: 'mnist', split: 'validation', limit: 10 })));
  });
});

describe('the default batch size', () => {
  it.each([
    [[28, 28, 1], 256], [[224, 224, 3], 13], [[1024, 1024, 3], 1],
  ])('samples of %j: %i per batch (a MobileNet\'s activations of 256 photos would overflow the wasm heap)', (sampleShape, size) => {
    expect(defaultBatchSize({ sampleShape })).toBe(size);
  });
});
