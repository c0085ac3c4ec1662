import type { PruneReport } from './report.js';
import type { StructuredRecipe } from './structured/recipe.js';

const int = (n: number): string => n.toLocaleString('en-US');
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');

/** The recipe as people read it: one line per cut group, then the groups left whole and why. */
export function formatRecipe(recipe: StructuredRecipe): string {
  const lines = [`structured recipe (${recipe.criterion}, ratio ${recipe.ratio ?? '—'}, constants ${recipe.foldConstants ? 'folded' : 'dropped'}):`];
  for (const g of recipe.groups) {
    lines.push(`  cut  ${g.key}: ${g.size} → ${g.keep.length} channels (layers ${g.layers.join(', ')}); keep [${g.keep.join(', ')}]`);
  }
  for (const s of recipe.skipped) lines.push(`  keep ${s.key}: ${s.reasons.join('; ')}`);
  if (recipe.groups.length === 0) lines.push('  nothing to cut');
  return lines.join('\n');
}

/** A plain-text report for the CLI (stderr or stdout without --json). */
export function formatPruneReport(report: PruneReport): string {
  const lines = [
    `prune ${report.spec}${report.dryRun ? ' (dry run: nothing written)' : ''}`,
    `  parameters  ${int(report.params.before)} → ${int(report.params.after)} (${ratio(report.params.before, report.params.after)} smaller)`,
    `  non-zero    ${int(report.nonzeroParams.before)} → ${int(report.nonzeroParams.after)}; sparsity ${pct(report.sparsity.before)} → ${pct(report.sparsity.after)}`,
    `  FLOPs       ${int(report.flops.before)} → ${int(report.flops.after)} (${ratio(report.flops.before, report.flops.after)} fewer)`,
    `  weights     ${int(report.size.bytes.before)} → ${int(report.size.bytes.after)} B raw; ` +
      `${int(report.size.gzipBytes.before)} → ${int(report.size.gzipBytes.after)} B gzip (${ratio(report.size.gzipBytes.before, report.size.gzipBytes.after)} smaller)`,
    '  layer                          class                params before → after   sparsity',
    ...report.layers.map((l) => `  ${l.name.padEnd(30)} ${l.className.padEnd(20)} ${`${int(l.params.before)} → ${int(l.params.after)}`.padStart(22)}   ${pct(l.sparsity)}`),
  ];
  if (report.finetune?.length) {
    for (const e of report.finetune) {
      lines.push(`  fine-tune epoch ${e.epoch + 1}: loss ${e.loss.toFixed(4)}${e.valAcc !== undefined ? `, validation accuracy ${pct(e.valAcc)}` : ''}`);
    }
  }
  if (report.recipe) lines.push(formatRecipe(report.recipe));
  for (const w of report.warnings) lines.push(`  warning: ${w}`);
  lines.push(report.speedNote);
  return lines.join('\n');
}
