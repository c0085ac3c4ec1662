import { esc, formatBytes } from './escape.js';
import { paretoFront, type PlotPoint } from './pareto.js';

export interface PlotOptions {
  x: 'gzipBytes' | 'bytes' | 'p50Ms';
  title: string;
  /** Which split the accuracies come from, shown under the plot. */
  caption?: string;
  width?: number;
  height?: number;
}

/** Label priority: the output and input first, then trials/variants in their given order. */
const rank = (p: PlotPoint) => (p.kind === 'output' ? 0 : p.kind === 'input' ? 1 : 2);

const COLORS: Record<PlotPoint['kind'], string> = { input: '#555', output: '#d62728', trial: '#1f77b4', variant: '#2ca02c' };

function ticksLog(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  // A narrow range (latencies that differ by a few percent) gets evenly spaced ticks instead.
  return out.length >= 3 ? out : niceTicks(lo, hi);
}

/** 4–8 ticks at a 1/2/5 × 10^k step, inside [lo, hi]. */
export function niceTicks(lo: number, hi: number): number[] {
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => (hi - lo) / s <= 8)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/**
 * An inline SVG scatter of accuracy against size (log scale) or latency, with the Pareto front drawn through
 * the points no other point beats on both axes. Self-contained: no script, no external resources.
 */
export function paretoSvg(points: readonly PlotPoint[], o: PlotOptions): string {
  const width = o.width ?? 720;
  const height = o.height ?? 420;
  const m = { left: 70, right: 20, top: 36, bottom: 56 };
  const xOf = (p: PlotPoint) => (o.x === 'p50Ms' ? p.p50Ms : p[o.x]) as number;
  const usable = points.filter((p) => p.accuracy !== undefined && Number.isFinite(xOf(p)) && xOf(p) > 0);
  const title = `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${esc(o.title)}</text>`;
  if (usable.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" class="pareto" width="${width}" height="80" role="img">${title}` +
      `<text x="${width / 2}" y="55" text-anchor="middle" font-size="13">no points with both values measured</text></svg>`;
  }
  const xs = usable.map(xOf);
  const ys = usable.map((p) => p.accuracy!);
  const xlo = Math.min(...xs) / 1.3;
  const xhi = Math.max(...xs) * 1.3;
  const yspan = Math.max(...ys) - Math.min(...ys);
  const ylo = Math.max(0, Math.min(...ys) - Math.max(0.002, yspan * 0.15));
  const yhi = Math.min(1, Math.max(...ys) + Math.max(0.002, yspan * 0.15));
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const px = (v: number) => m.left + (pw * Math.log(v / xlo)) / Math.log(xhi / xlo);
  const py = (v: number) => m.top + ph - (ph * (v - ylo)) / Math.max(1e-9, yhi - ylo);
  const parts: string[] = [title];
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#ccc"/>`);
  for (const t of ticksLog(xlo, xhi)) {
    const x = px(t).toFixed(1);
    parts.push(`<line x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x}" y="${m.top + ph + 16}" text-anchor="middle" font-size="11">${esc(o.x === 'p50Ms' ? `${+t.toPrecision(3)} ms` : formatBytes(Math.round(t)))}</text>`);
  }
  for (const t of niceTicks(ylo, yhi)) {
    const y = py(t).toFixed(1);
    parts.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" font-size="11">${+(100 * t).toFixed(3)}%</text>`);
  }
  const xlabel = o.x === 'p50Ms' ? 'p50 latency, batch 1 (log scale)' : o.x === 'gzipBytes' ? 'gzip size (log scale)' : 'size on disk (log scale)';
  parts.push(`<text x="${m.left + pw / 2}" y="${height - 24}" text-anchor="middle" font-size="12">${xlabel}</text>`);
  parts.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">top-1 accuracy</text>`);
  const front = paretoFront(usable, xOf, (p) => p.accuracy!);
  parts.push(`<polyline class="front" fill="none" stroke="#ff7f0e" stroke-width="2" stroke-dasharray="5 3" points="${front.map((p) => `${px(xOf(p)).toFixed(1)},${py(p.accuracy!).toFixed(1)}`).join(' ')}"/>`);
  // Labels that would overprint an earlier one are left to the point's tooltip; the output and input always get one.
  const placed: { x: number; y: number; w: number }[] = [];
  const ordered = [...usable].sort((a, b) => rank(a) - rank(b));
  for (const p of ordered) {
    const cx = px(xOf(p)).toFixed(1);
    const cy = py(p.accuracy!).toFixed(1);
    const lx = +cx + 9;
    const ly = +cy - 8;
    const w = 6.2 * p.label.length;
    const clash = placed.some((b) => Math.abs(b.y - ly) < 12 && lx < b.x + b.w && b.x < lx + w);
    if (!clash) placed.push({ x: lx, y: ly, w });
    const ring = p.pass === undefined ? '' : ` stroke="${p.pass ? '#2ca02c' : '#d62728'}" stroke-width="2"`;
    const r = p.kind === 'output' || p.kind === 'input' ? 7 : 5;
    parts.push(`<g class="point ${p.kind}"><circle cx="${cx}" cy="${cy}" r="${r}" fill="${COLORS[p.kind]}" fill-opacity="0.85"${ring}>` +
      `<title>${esc(`${p.label}: ${formatBytes(p.gzipBytes)} gzip, ${(100 * p.accuracy!).toFixed(2)}%${p.p50Ms !== undefined ? `, p50 ${p.p50Ms.toFixed(3)} ms` : ''}`)}</title></circle>` +
      (clash ? '' : `<text x="${lx.toFixed(1)}" y="${ly.toFixed(1)}" font-size="11">${esc(p.label)}</text>`) + '</g>');
  }
  const legend = (['input', 'output', 'trial', 'variant'] as const).filter((k) => usable.some((p) => p.kind === k));
  legend.forEach((k, i) => {
    const x = m.left + 10 + i * 90;
    parts.push(`<circle cx="${x}" cy="${height - 8}" r="5" fill="${COLORS[k]}"/><text x="${x + 9}" y="${height - 4}" font-size="11">${k}</text>`);
  });
  parts.push(`<line x1="${m.left + 10 + legend.length * 90}" y1="${height - 8}" x2="${m.left + 40 + legend.length * 90}" y2="${height - 8}" stroke="#ff7f0e" stroke-width="2" stroke-dasharray="5 3"/>` +
    `<text x="${m.left + 45 + legend.length * 90}" y="${height - 4}" font-size="11">Pareto front</text>`);
  const caption = o.caption ? `<desc>${esc(o.caption)}</desc>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" class="pareto" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(o.title)}">${caption}${parts.join('')}</svg>`;
}
