import { esc, formatBytes, ms, pct, pt } from './escape.js';
import { compressPoints } from './points.js';
import { paretoSvg } from './svg.js';
import type { PlotPoint } from './pareto.js';
import type { CompressReport } from './types.js';

export const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:980px;color:#222;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
th:first-child,td:first-child,td.l,th.l{text-align:left}th{background:#f3f3f3}td{white-space:nowrap}td.l{white-space:normal}
.verdict{padding:10px 14px;border-radius:6px;font-weight:600;margin:12px 0}.pass{background:#e6f4ea;color:#1e6b34}
.fail{background:#fdecea;color:#8a1c14}.none{background:#eef2f7;color:#234}.muted{color:#666;font-size:12px}
code{background:#f3f3f3;padding:1px 4px;border-radius:3px}figure{margin:8px 0}figcaption{color:#666;font-size:12px}`;

/** `left`: indexes of text columns (left-aligned); numbers are right-aligned. */
function table(head: string[], rows: (string | number)[][], left: readonly number[] = [0]): string {
  const cell = (tag: string, v: string | number, i: number) => `<${tag}${left.includes(i) ? ' class="l"' : ''}>${esc(v)}</${tag}>`;
  return `<table><thead><tr>${head.map((h, i) => cell('th', h, i)).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((v, i) => cell('td', v, i)).join('')}</tr>`).join('') + '</tbody></table>';
}

export function plots(points: PlotPoint[], split: string): string {
  const caption = `Accuracy on the ${split} split. Dashed: the Pareto front (no other point is both smaller and more accurate). ` +
    'Ring: green met the budget, red missed it.';
  let html = `<figure id="pareto-size">${paretoSvg(points, { x: 'gzipBytes', title: 'Size vs accuracy', caption })}<figcaption>${esc(caption)}</figcaption></figure>`;
  if (points.filter((p) => p.p50Ms !== undefined && p.accuracy !== undefined).length >= 2) {
    html += `<figure id="pareto-latency">${paretoSvg(points, { x: 'p50Ms', title: 'Latency vs accuracy' })}</figure>`;
  }
  return html;
}

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>\n`;
}

/** report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched). */
export function renderHtml(r: CompressReport): string {
  const i = r.input.metrics;
  const o = r.output.metrics;
  const verdict = r.budget
    ? `<div class="verdict ${r.budget.pass ? 'pass' : 'fail'}" id="verdict">Budget ${esc(r.budget.text)}: ${r.budget.pass ? 'PASS' : 'FAIL'} — ${esc(r.budget.message)}</div>`
    : '<div class="verdict none" id="verdict">No budget given: the pipeline ran once.</div>';
  const budgetTable = r.budget ? table(['criterion', 'measured', 'target', 'margin', 'verdict'], r.budget.check.criteria.map((c) => [
    c.criterion, c.measured === null ? 'not measured' : +c.measured.toPrecision(6), c.target, c.margin === null ? '–' : +c.margin.toPrecision(4), c.pass ? 'pass' : 'FAIL',
  ])) : '';
  const summary = table(['', 'input', 'output'], [
    ['size on disk', formatBytes(i.bytes), formatBytes(o.bytes)],
    ['gzip size', formatBytes(i.gzipBytes), `${formatBytes(o.gzipBytes)} (${(i.gzipBytes / o.gzipBytes).toFixed(2)}× smaller)`],
    ['non-zero parameters', i.nonzeroParams.toLocaleString('en-US'), `${o.nonzeroParams.toLocaleString('en-US')} (sparsity ${pct(o.sparsity, 1)})`],
    ['accuracy', pct(i.accuracy), `${pct(o.accuracy)} (drop ${pt(o.drop)})`],
    ['p50 / p95 latency', `${ms(i.p50Ms)} / ${ms(i.p95Ms)}`, `${ms(o.p50Ms)} / ${ms(o.p95Ms)}`],
  ]);
  const { points, split } = compressPoints(r);
  const layers = table(['layer', 'class', 'params', 'non-zero', 'sparsity', 'bits', 'fallback level'], r.layers.map((l) => [
    l.name, l.class, l.params.toLocaleString('en-US'), l.nonzeroParams.toLocaleString('en-US'), l.params ? pct(l.sparsity, 1) : '–', l.weightBits ?? '–', l.level ?? '–',
  ]), [0, 1]);
  const trials = r.trials.length ? `<h2>Search</h2><p>${r.trials.length} trials in ${r.search!.seconds.toFixed(0)} s; stopped: ${esc(r.search!.stopReason)}. ` +
    'Trials are measured on the validation split. ★ on the Pareto front (gzip × validation accuracy × p50: no other trial is at least as good on all three and better on one).</p>' +
    table(['trial', 'levels', 'gzip', 'accuracy', 'agreement', 'drop', 'p50', 'verdict', 'why'], r.trials.map((t) => [
      `${t.id}${t.id === r.search!.chosen ? ' ◀ output' : ''}${r.search!.pareto?.includes(t.id) ? ' ★' : ''}`,
      Object.entries(t.levels).filter(([, l]) => l > 0).map(([n, l]) => `${n}:${l}`).join(', ') || (r.pipeline.steps.length && !r.search!.mode?.startsWith('search') ? 'all 0' : '–'),
      formatBytes(t.metrics.gzipBytes), pct(t.metrics.accuracy), pct(t.metrics.agreement), pt(t.metrics.drop), t.metrics.p50Ms === undefined ? '–' : `${t.metrics.p50Ms.toFixed(3)} ms`,
      t.pass ? 'pass' : `fail (${t.shortfall.toFixed(2)})`, t.reason,
    ]), [0, 1, 7, 8]) : '';
  const steps = `<h2>Pipeline</h2><ol>${r.steps.map((s) => `<li><b>${esc(s.step)}</b> <code>${esc(JSON.stringify(s.options))}</code> <span class="muted">${s.seconds.toFixed(1)} s, seed ${s.seed}</span></li>`).join('')}</ol>`;
  const notes = r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  return page('shrinkml compress report', `<h1>shrinkml compress report</h1>` +
    `<p class="muted">${esc(r.input.path)} → ${esc(r.output.path)}<br>measured on ${esc(r.evaluation.data ?? 'no data')} (${esc(r.evaluation.split)} split${r.evaluation.samples ? `, ${r.evaluation.samples} samples` : ''}), backend ${esc(r.backend)}, shrinkml ${esc(r.shrinkml)}, tfjs ${esc(r.tfjs)}, ${esc(r.createdAt)}</p>` +
    verdict + budgetTable + `<h2>Result</h2>${summary}<h2>Size vs accuracy</h2>${plots(points, split)}<h2>Layers</h2>${layers}${trials}${steps}${notes}`);
}
