import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { measureModelFolder, renderModelsReadme, type ModelRecord } from '../../src/zoo/index.js';
import { tempDir } from '../data/fixtures.js';

const record = (name: string, testAccuracy: number): ModelRecord => ({
  name, description: `${name} description`, parameters: 266_610, bytes: 1_068_419, gzipBytes: 982_041, testAccuracy,
  validationAccuracy: 0.9812, seed: 1, epochs: 10, batchSize: 128, learningRate: 0.001, backend: 'wasm', date: '2025-01-02', trainSeconds: 300,
});

describe('models report', () => {
  it('measures model.json and .bin files only, raw and gzipped', () => {
    const dir = tempDir();
    const json = '{"a":' + '1,'.repeat(500) + '1}';
    const bin = Buffer.alloc(4000, 7);
    writeFileSync(join(dir, 'model.json'), json);
    writeFileSync(join(dir, 'group1-shard1of1.bin'), bin);
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    expect(measureModelFolder(dir)).toEqual({
      bytes: json.length + 4000,
      gzipBytes: gzipSync(json, { level: 9 }).length + gzipSync(bin, { level: 9 }).length,
    });
  });

  it('renders one sorted table row per model with the measured numbers', () => {
    const readme = renderModelsReadme([record('mnist-residual', 0.9781), record('mnist-lenet-300-100', 0.98234)]);
    const rows = readme.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toEqual([
      '| `mnist-lenet-300-100` | 266,610 | 1,068,419 | 982,041 | 98.23% | 98.12% | 1 | 10 | 128 | 0.001 | wasm | 2025-01-02 |',
      '| `mnist-residual` | 266,610 | 1,068,419 | 982,041 | 97.81% | 98.12% | 1 | 10 | 128 | 0.001 | wasm | 2025-01-02 |',
    ]);
    expect(readme).toContain('- `mnist-residual`: mnist-residual description.');
    expect(readme).toContain('the first 55,000 images');
  });
});
