import { formatBudget, type Measurement } from '../../measure/index.js';
import { formatBytes, formatCount, formatPercent, table } from './format.js';

/** The totals block shared by eval and compress. */
export function formatMeasurement(m: Measurement): string {
  const lines: string[] = [];
  lines.push(`params        ${formatCount(m.params)} (nonzero ${formatCount(m.nonzeroParams)}, sparsity ${formatPercent(m.sparsity)})`);
  lines.push(`size          ${formatBytes(m.size.bytes)} on disk, ${formatBytes(m.size.gzipBytes)} gzipped`);
  if (m.accuracy !== undefined) {
    lines.push(`accuracy      ${formatPercent(m.accuracy)} on ${formatCount(m.samples ?? 0)} samples` +
      (m.referenceAccuracy !== undefined ? ` (reference ${formatPercent(m.referenceAccuracy)}, drop ${m.drop?.toFixed(2)} pt)` : ''));
  }
  if (m.agreement !== undefined) {
    lines.push(`agreement     ${formatPercent(m.agreement)} top-1 with the reference` +
      (m.meanKl !== undefined ? `, mean KL ${m.meanKl.toExponential(2)}` : ''));
  }
  // Regression and embedding outputs (boxes, keypoints, descriptors) are judged by these, not by top-1.
  if (m.cosine !== undefined || m.psnr !== undefined) {
    lines.push(`fidelity      ${[m.cosine !== undefined ? `cosine ${m.cosine.toFixed(5)}` : '', m.psnr !== undefined ? `PSNR ${m.psnr.toFixed(1)} dB` : ''].filter(Boolean).join(', ')} against the reference (mean over samples; of several outputs, the worst)`);
  }
  if (m.latency) {
    for (const b of m.latency.byBatch) {
      lines.push(`latency b=${String(b.batchSize).padEnd(4)}p50 ${b.p50Ms.toFixed(3)} ms, p95 ${b.p95Ms.toFixed(3)} ms (${b.runs} runs on ${m.backend})`);
    }
  }
  if (m.budget) lines.push('', formatBudget(m.budget));
  return lines.join('\n') + '\n';
}

export function formatLayers(m: Measurement): string {
  return table(['layer', 'class', 'output shape', 'params', 'sparsity', 'bits'], m.layers.map((l) => [
    l.name, l.class, JSON.stringify(l.outputShape ?? ''), formatCount(l.params),
    l.params ? formatPercent(l.sparsity, 1) : '-', l.weightBits === null ? '-' : String(l.weightBits),
  ]));
}
