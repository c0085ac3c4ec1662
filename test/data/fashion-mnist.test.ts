import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR, loadData } from '../../src/data/index.js';

// Fashion-MNIST comes from Debian's dataset-fashion-mnist. Locally a missing package skips loudly; in CI it fails.
const installed = existsSync(FASHION_MNIST_DIR);
if (!installed && !process.env.CI) {
  console.warn(`\n*** SKIPPING fashion-mnist tests: ${FASHION_MNIST_DIR} is missing (apt-get install dataset-fashion-mnist) ***\n`);
}

describe('fashion-mnist', () => {
  it.skipIf(!installed && !process.env.CI).each([
    ['test', 10_000, 10],
    ['validation', 5_000, 5],
  ] as const)('loads the %s split (%i samples) from the gzipped IDX files', async (split, count, limit) => {
    const full = await loadData({ source: 'fashion-mnist', split });
    expect(full.count).toBe(count);
    expect(full.sampleShape).toEqual([28, 28, 1]);
    expect(full.classNames![9]).toBe('Ankle boot');
    const some = await loadData({ source: 'fashion-mnist', split, limit });
    expect(some.count).toBe(limit);
    expect(Math.max(...some.x)).toBeLessThanOrEqual(1);
    expect(Math.max(...some.x)).toBeGreaterThan(0.5);
    if (split === 'test') expect(Array.from(some.labels!.subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
  });
});
