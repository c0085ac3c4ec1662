import { formatBudget } from '../measure/index.js';
import { formatBytes, ms, pct, pt } from './escape.js';
import type { CompressReport } from './types.js';
import type { MetricsSummary } from '../pipeline/measure.js';

const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : '–');

function metricRows(input: MetricsSummary, output: MetricsSummary): string[] {
  return [
    row(['metric', 'input', 'output', 'change']),
    row(['---', '---:', '---:', '---:']),
    row(['size on disk', formatBytes(input.bytes), formatBytes(output.bytes), `${ratio(input.bytes, output.bytes)} smaller`]),
    row(['gzip size', formatBytes(input.gzipBytes), formatBytes(output.gzipBytes), `${ratio(input.gzipBytes, output.gzipBytes)} smaller`]),
    row(['parameters (non-zero)', input.nonzeroParams.toLocaleString('en-US'), output.nonzeroParams.toLocaleString('en-US'), `sparsity ${pct(output.sparsity, 1)}`]),
    row(['accuracy', pct(input.accuracy), pct(output.accuracy), output.drop !== undefined ? `drop ${pt(output.drop)}` : '–']),
    row(['p50 / p95 latency', `${ms(input.p50Ms)} / ${ms(input.p95Ms)}`, `${ms(output.p50Ms)} / ${ms(output.p95Ms)}`, '']),
  ];
}

/** report.md: the same facts as report.json, for people reading a terminal or a pull request. */
export function renderMarkdown(r: CompressReport): string {
  const out: string[] = [`# shrinkml compress report`, ''];
  out.push(`- input: \`${r.input.path}\` (${r.input.hash})`);
  out.push(`- output: \`${r.output.path}\`${r.budget?.closest ? ' — **closest candidate, the budget was not met**' : ''}`);
  out.push(`- pipeline: ${r.pipeline.steps.map((s) => s.step).join(' → ') || '(no steps)'} (seed ${r.pipeline.seed})`);
  out.push(`- measured on: ${r.evaluation.data ?? 'no data'} ${r.evaluation.split} split${r.evaluation.samples ? `, ${r.evaluation.samples} samples` : ''}; backend ${r.backend}; shrinkml ${r.shrinkml}, tfjs ${r.tfjs}`);
  out.push('');
  if (r.budget) {
    out.push(`## Budget: ${r.budget.pass ? 'PASS' : 'FAIL'}`, '', r.budget.message, '', '```', formatBudget(r.budget.check), '```', '');
  }
  out.push('## Result', '', ...metricRows(r.input.metrics, r.output.metrics), '');
  out.push('## Layers', '', row(['layer', 'class', 'params', 'non-zero', 'sparsity', 'bits', 'fallback level']), row(['---', '---', '---:', '---:', '---:', '---:', '---:']));
  for (const l of r.layers) {
    out.push(row([l.name, l.class, l.params.toLocaleString('en-US'), l.nonzeroParams.toLocaleString('en-US'), l.params ? pct(l.sparsity, 1) : '–', l.weightBits ?? '–', l.level ?? '–']));
  }
  out.push('');
  if (r.search) {
    out.push(`## Search (${r.trials.length} trials, ${r.search.seconds.toFixed(0)} s, stopped: ${r.search.stopReason})`, '');
    out.push('Trials are measured on the validation split; the output above on the evaluation split. ◀ the output; ★ on the Pareto front ' +
      '(gzip × validation accuracy × p50: no other trial is at least as good on all three and better on one).', '');
    out.push(row(['trial', 'levels', 'gzip', 'accuracy', 'agreement', 'drop', 'p50', 'verdict', 'why']), row(['---:', '---', '---:', '---:', '---:', '---:', '---:', '---', '---']));
    for (const t of r.trials) {
      const levels = Object.entries(t.levels).filter(([, l]) => l > 0).map(([n, l]) => `${n}:${l}`).join(', ') || (r.pipeline.steps.length && !r.search.mode?.startsWith('search') ? 'all 0' : '–');
      out.push(row([`${t.id}${t.id === r.search.chosen ? ' ◀' : ''}${r.search.pareto?.includes(t.id) ? ' ★' : ''}`, levels, formatBytes(t.metrics.gzipBytes), pct(t.metrics.accuracy), pct(t.metrics.agreement),
        pt(t.metrics.drop), t.metrics.p50Ms === undefined ? '–' : `${t.metrics.p50Ms.toFixed(3)} ms`, t.pass ? 'pass' : `fail (${t.shortfall.toFixed(2)})`, t.reason]));
    }
    out.push('');
  }
  out.push('## Steps', '');
  for (const s of r.steps) out.push(`- **${s.step}** (${s.seconds.toFixed(1)} s): \`${JSON.stringify(s.options)}\``);
  if (r.notes.length) out.push('', '## Notes', '', ...r.notes.map((n) => `- ${n}`));
  return out.join('\n') + '\n';
}
