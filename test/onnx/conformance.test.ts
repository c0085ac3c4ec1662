import { describe, expect, it } from 'vitest';
import { conformanceModels, runConformance, TESTDATA_ROOT } from '../../bench/onnx-conformance.js';

/**
 * A sample (every 6th) of Debian libonnx-testdata's conformance models through decode → encode → onnxruntime;
 * bench/onnx-conformance.ts runs all 1,072 (bench/results/onnx-conformance.md). Skipped, loudly, without the package.
 */
const present = conformanceModels().length > 0;
if (!present) console.warn(`SKIPPED test/onnx/conformance.test.ts: no ${TESTDATA_ROOT} (apt install libonnx-testdata)`);

describe.skipIf(!present)('ONNX conformance models round-trip', () => {
  it('every sampled model decodes, re-encodes to the same bytes, runs to identical outputs, and passes inspect', async () => {
    const s = await runConformance({ every: 6 });
    expect(s.models).toBeGreaterThanOrEqual(170);
    // The reader refuses only models without a default-domain opset (the training-domain optimizer tests).
    for (const r of s.results.filter((x) => !x.accepted)) expect(r.rejected).toMatch(/no opset_import for the default ONNX domain/);
    expect(s.identical).toBe(s.accepted);
    expect(s.ran).toBeGreaterThanOrEqual(s.models * 0.85);
    expect(s.results.filter((r) => r.ran && !r.sameOutputs).map((r) => r.name)).toEqual([]);
    // inspect's validity check raises no false alarm on a model onnxruntime runs.
    expect(s.results.filter((r) => r.ran && r.problems?.length).map((r) => `${r.name}: ${r.problems![0]}`)).toEqual([]);
  }, 180_000);
});
