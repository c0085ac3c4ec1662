import type { BenchRow } from '../../report/bench.js';
import type { YardstickOutcome, YardstickVariant } from './run.js';

/** Bench rows of the yardstick are named after the shrinkml variant they stand beside. */
export const YARDSTICK_ROW_NAMES: Readonly<Record<YardstickVariant, string>> = {
  fp32: 'pytorch:fp32',
  dynamic: 'pytorch:ptq-dynamic',
  'static-minmax': 'pytorch:ptq-static-minmax',
  'static-histogram': 'pytorch:ptq-static-histogram',
};

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/**
 * One row per PyTorch variant, or a single row saying why none ran. Drop and ratio are against PyTorch fp32, so
 * they compare with shrinkml's drop and ratio against the tfjs fp32. A weight transfer that does not reproduce the
 * tfjs accuracy marks the fp32 row failed: every other PyTorch number would then measure a different model.
 */
export function yardstickRows(outcome: YardstickOutcome): BenchRow[] {
  if (outcome.status !== 'ok') {
    return [{ variant: 'pytorch', description: 'PyTorch yardstick', status: outcome.status === 'failed' ? 'failed' : 'skipped', note: outcome.reason }];
  }
  const r = outcome.result;
  const base = r.variants.find((v) => v.name === 'fp32')?.gzipBytes;
  return r.variants.map((v): BenchRow => {
    const mismatch = v.name === 'fp32' && !r.transfer.ok;
    return {
      variant: YARDSTICK_ROW_NAMES[v.name], description: `PyTorch yardstick: ${v.description}`, status: mismatch ? 'failed' : 'ok',
      note: mismatch ? `weight transfer: PyTorch ${pct(r.transfer.torchAccuracy)} vs tfjs ${pct(r.transfer.tfjsAccuracy)}` : undefined,
      accuracy: v.accuracy, drop: v.drop, bytes: v.bytes, gzipBytes: v.gzipBytes, ratio: base === undefined ? undefined : base / v.gzipBytes,
      p50Ms: v.p50Ms, p95Ms: v.p95Ms, compressSeconds: v.seconds,
    };
  });
}

/** The report note: what the PyTorch rows are and how they were measured, or why there are none. */
export function yardstickNote(outcome: YardstickOutcome | undefined): string {
  if (!outcome) return 'PyTorch yardstick: not run (not among --variants; add pytorch to run it).';
  if (outcome.status !== 'ok') return `PyTorch yardstick: ${outcome.status === 'failed' ? 'failed' : 'not run'} (${outcome.reason}).`;
  const r = outcome.result;
  const t = r.transfer;
  return `PyTorch yardstick (rows pytorch:*): torch ${r.torch} on Python ${r.python} (${r.interpreter}), int8 engine ${r.engine}, ` +
    `${r.threads} thread${r.threads === 1 ? '' : 's'}, eager mode. The input's architecture and fp32 weights rebuilt in PyTorch; weight transfer ` +
    `${t.ok ? 'verified' : 'MISMATCH'}: tfjs ${pct(t.tfjsAccuracy)} vs PyTorch ${pct(t.torchAccuracy)}, top-1 agreement ${pct(t.agreement)}, ` +
    `max |Δ output| ${t.maxAbsDiff.toExponential(1)}. Same ${r.samples} test samples` +
    (r.calibrationSamples ? `, static variants calibrated on the same ${r.calibrationSamples} calibration samples as ptq-static` : '') +
    `; drop and ratio against PyTorch fp32; bytes = torch.save(state_dict), gzip -9; p50/p95 at batch 1.`;
}
