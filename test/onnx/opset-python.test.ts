import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOnnx, encodeOnnx } from '../../src/formats/onnx/index.js';
import { defaultOpset, upgradeOpset } from '../../src/onnx/opset/index.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { UPGRADE_CASES } from './opset-cases.js';

/**
 * shrinkml's opset upgrade against onnx's own version converter (Debian python3-onnx), where that converter handles
 * the model: both upgraded models must give the same outputs in onnxruntime. Skipped, loudly, without the module.
 */
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import onnx.version_converter'], { stdio: 'ignore' }).status === 0);
if (!python) console.warn('SKIPPED test/onnx/opset-python.test.ts: no python3 with the onnx module (apt install python3-onnx)');

const CONVERT = `
import sys, onnx
from onnx import version_converter
convert = getattr(version_converter, 'convert_model', None) or version_converter.convert_version  # onnx < 1.16
for path, target in zip(sys.argv[1::2], sys.argv[2::2]):
    onnx.save(convert(onnx.load(path), int(target)), path + '.converted')
`;

let dir: string;
beforeAll(async () => { dir = await makeTmpDir('shrinkml-opset-python-'); });
afterAll(async () => { await removeTmpDir(dir); });

describe.skipIf(!python)('upgradeOpset agrees with onnx.version_converter', () => {
  const cases = UPGRADE_CASES.filter((c) => !c.pythonSkip);
  it(`on ${cases.length} models (${UPGRADE_CASES.length - cases.length} left out: see pythonSkip in opset-cases.ts)`, async () => {
    const files = cases.map((c, i) => {
      const file = path.join(dir, `case${i}.onnx`);
      writeFileSync(file, encodeOnnx(c.model()));
      return file;
    });
    const r = spawnSync(python!, ['-c', CONVERT, ...files.flatMap((f, i) => [f, String(cases[i]!.target)])], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    for (const [i, c] of cases.entries()) {
      const theirs = new Uint8Array(readFileSync(`${files[i]}.converted`));
      const ours = encodeOnnx(upgradeOpset(c.model(), c.target).model);
      // Both at the target opset, and both accepted by shrinkml's reader.
      expect(defaultOpset(decodeOnnx(theirs, 'theirs').model)).toBe(c.target);
      const [a, b] = await Promise.all([runOnnx({ bytes: ours, feeds: c.feeds }), runOnnx({ bytes: theirs, feeds: c.feeds })]);
      for (const [name, t] of Object.entries(a)) {
        const u = b[name]!;
        expect(u.dims, `${c.name}: ${name}`).toEqual(t.dims);
        const diff = Math.max(0, ...Array.from(t.data as ArrayLike<number | bigint>, (v, k) => Math.abs(Number(v) - Number((u.data as ArrayLike<number | bigint>)[k]))));
        expect(diff, `${c.name}: ${name}`).toBeLessThanOrEqual(1e-5);
      }
    }
  });
});
