import type { PlotPoint } from './pareto.js';
import type { CompressReport } from './types.js';

/**
 * The points of a compress report's plot, all from one split: with a search, the input and every trial on the
 * validation split (where the search compared them); without one, the input and the output on the evaluation split.
 */
export function compressPoints(r: CompressReport): { points: PlotPoint[]; split: string } {
  if (r.trials.length) {
    const t0 = r.trials[0]!;
    const input: PlotPoint = {
      label: 'input', kind: 'input', bytes: r.input.metrics.bytes, gzipBytes: r.input.metrics.gzipBytes,
      accuracy: t0.metrics.referenceAccuracy, p50Ms: r.input.metrics.p50Ms,
    };
    const trials = r.trials.map((t): PlotPoint => ({
      label: `trial ${t.id}${t.id === r.search?.chosen ? ' (output)' : ''}`, kind: t.id === r.search?.chosen ? 'output' : 'trial',
      bytes: t.metrics.bytes, gzipBytes: t.metrics.gzipBytes, accuracy: t.metrics.accuracy, p50Ms: t.metrics.p50Ms, pass: t.pass,
    }));
    return { points: [input, ...trials], split: t0.split };
  }
  return {
    split: r.evaluation.split,
    points: [
      { label: 'input', kind: 'input', bytes: r.input.metrics.bytes, gzipBytes: r.input.metrics.gzipBytes, accuracy: r.input.metrics.accuracy, p50Ms: r.input.metrics.p50Ms },
      { label: 'output', kind: 'output', bytes: r.output.metrics.bytes, gzipBytes: r.output.metrics.gzipBytes, accuracy: r.output.metrics.accuracy, p50Ms: r.output.metrics.p50Ms, pass: r.budget?.pass },
    ],
  };
}
