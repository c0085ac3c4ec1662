import { esc, formatBytes, ms, pct, pt } from './escape.js';
import { page, plots } from './html.js';
import type { PlotPoint } from './pareto.js';

/** One compression variant of a benchmark run, all measured on the same split of the same data. */
export interface BenchRow {
  variant: string;
  description: string;
  status: 'ok' | 'skipped' | 'failed';
  /** Why it was skipped or how it failed. */
  note?: string;
  accuracy?: number;
  /** Points lost against fp32 on the same samples. */
  drop?: number;
  bytes?: number;
  gzipBytes?: number;
  /** fp32 gzip bytes / this variant's gzip bytes. */
  ratio?: number;
  p50Ms?: number;
  p95Ms?: number;
  /** Wall time of the compression itself (training included), seconds. */
  compressSeconds?: number;
}

export interface BenchTarget { label: string; target: string; measured: string; pass: boolean | null }

export interface BenchReport {
  kind: 'bench';
  model: string;
  data: string;
  split: string;
  samples: number;
  backend: string;
  machine: { cpu: string; cores: number; os: string; node: string };
  shrinkml: string;
  tfjs: string;
  createdAt: string;
  totalSeconds: number;
  rows: BenchRow[];
  targets: BenchTarget[];
  notes: string[];
}

const HEAD = ['variant', 'accuracy', 'drop', 'bytes', 'gzip', 'ratio', 'p50', 'p95', 'compress time', 'status'];

function cells(r: BenchRow): string[] {
  return [
    r.variant, pct(r.accuracy), pt(r.drop), r.bytes === undefined ? '–' : formatBytes(r.bytes), r.gzipBytes === undefined ? '–' : formatBytes(r.gzipBytes),
    r.ratio === undefined ? '–' : `${r.ratio.toFixed(1)}×`, ms(r.p50Ms), ms(r.p95Ms), r.compressSeconds === undefined ? '–' : `${r.compressSeconds.toFixed(1)} s`,
    r.status === 'ok' ? 'ok' : `${r.status}${r.note ? `: ${r.note}` : ''}`,
  ];
}

/** A terminal table (left-aligned first and last column). */
export function renderBenchTable(b: BenchReport): string {
  const rows = [HEAD, ...b.rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...b.rows.map((r) => line(cells(r)))];
  if (b.targets.length) {
    out.push('', 'targets:');
    for (const t of b.targets) out.push(`  ${t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'FAIL'}  ${t.label}: target ${t.target}, measured ${t.measured}`);
  }
  return out.join('\n') + '\n';
}

export function renderBenchMarkdown(b: BenchReport): string {
  const row = (c: string[]) => `| ${c.join(' | ')} |`;
  const out = [
    `# shrinkml bench: ${b.model} on ${b.data}`, '',
    `${b.split} split, ${b.samples} samples; backend ${b.backend}; ${b.machine.cpu} (${b.machine.cores} cores), ${b.machine.os}, Node ${b.machine.node}; ` +
      `shrinkml ${b.shrinkml}, tfjs ${b.tfjs}; ${b.createdAt}; total ${b.totalSeconds.toFixed(0)} s.`, '',
    row(HEAD), row(HEAD.map((_, i) => (i === 0 || i === HEAD.length - 1 ? '---' : '---:'))), ...b.rows.map((r) => row(cells(r))),
  ];
  if (b.targets.length) {
    out.push('', '## Targets', '', row(['target', 'wanted', 'measured', 'verdict']), row(['---', '---', '---', '---']));
    for (const t of b.targets) out.push(row([t.label, t.target, t.measured, t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'FAIL']));
  }
  if (b.notes.length) out.push('', '## Notes', '', ...b.notes.map((n) => `- ${n}`));
  return out.join('\n') + '\n';
}

export function benchPoints(b: BenchReport): PlotPoint[] {
  return b.rows.filter((r) => r.status === 'ok' && r.gzipBytes !== undefined).map((r) => ({
    label: r.variant, kind: r.variant === 'fp32' ? 'input' : 'variant', bytes: r.bytes!, gzipBytes: r.gzipBytes!, accuracy: r.accuracy, p50Ms: r.p50Ms,
  }));
}

export function renderBenchHtml(b: BenchReport): string {
  const rows = `<table><thead><tr>${HEAD.map((h, i) => `<th${i === 0 ? ' class="l"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>` +
    b.rows.map((r) => `<tr>${cells(r).map((c, i) => `<td${i === 0 || i === HEAD.length - 1 ? ' class="l"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('') + '</tbody></table>';
  const targets = b.targets.length ? `<h2>Targets</h2><table><thead><tr><th class="l">target</th><th>wanted</th><th>measured</th><th>verdict</th></tr></thead><tbody>` +
    b.targets.map((t) => `<tr><td class="l">${esc(t.label)}</td><td>${esc(t.target)}</td><td>${esc(t.measured)}</td><td>${t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'FAIL'}</td></tr>`).join('') + '</tbody></table>' : '';
  const notes = b.notes.length ? `<h2>Notes</h2><ul>${b.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  return page(`shrinkml bench: ${b.model}`, `<h1>shrinkml bench: ${esc(b.model)} on ${esc(b.data)}</h1>` +
    `<p class="muted">${esc(b.split)} split, ${b.samples} samples; backend ${esc(b.backend)}; ${esc(b.machine.cpu)} (${b.machine.cores} cores), ${esc(b.machine.os)}, Node ${esc(b.machine.node)}; shrinkml ${esc(b.shrinkml)}, tfjs ${esc(b.tfjs)}; ${esc(b.createdAt)}</p>` +
    `<h2>Results</h2>${rows}${plots(benchPoints(b), b.split)}${targets}${notes}`);
}
