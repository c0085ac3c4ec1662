/**
 * Reports people look at: report.json (the contract), report.md and a self-contained report.html with an inline
 * SVG Pareto plot (size vs accuracy, and latency vs accuracy when measured), the per-layer sparsity/bit-width
 * table and the budget verdict. The same plot and tables serve `shrinkml bench`.
 */
export type { CompressReport, LayerRow } from './types.js';
export { layerRows } from './types.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml, page, plots, STYLE } from './html.js';
export { paretoSvg } from './svg.js';
export type { PlotOptions } from './svg.js';
export { paretoFront, paretoFrontOf } from './pareto.js';
export type { PlotPoint } from './pareto.js';
export { compressPoints } from './points.js';
export { reportPaths, writeFileAtomically } from './write.js';
export { esc, formatBytes } from './escape.js';
export { renderBenchMarkdown, renderBenchHtml, renderBenchTable } from './bench.js';
export type { BenchReport, BenchRow } from './bench.js';
