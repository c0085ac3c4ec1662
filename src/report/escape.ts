/** Text and attribute escaping for the HTML/SVG reports (every value that reaches markup goes through here). */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

export function pct(x: number | undefined, digits = 2): string {
  return x === undefined || Number.isNaN(x) ? '–' : `${(100 * x).toFixed(digits)}%`;
}

export function pt(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? '–' : `${x.toFixed(2)} pt`;
}

export function ms(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? '–' : `${x.toFixed(3)} ms`;
}
