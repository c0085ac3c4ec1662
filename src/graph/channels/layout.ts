import type { Layout } from './types.js';

/** Number of entries on the last axis a layout describes. */
export function layoutWidth(layout: Layout): number {
  return layout.repeat * layout.segments.reduce((s, g) => s + g.size, 0);
}

/**
 * Indices along the last axis that survive when each space keeps only `keep(space)` (sorted) channels.
 * A space without an entry keeps everything.
 */
export function keptIndices(layout: Layout, keep: (space: number) => number[] | undefined): number[] {
  const width = layout.segments.reduce((s, g) => s + g.size, 0);
  const out: number[] = [];
  for (let r = 0; r < layout.repeat; r++) {
    let offset = r * width;
    for (const seg of layout.segments) {
      const kept = keep(seg.space);
      if (kept) for (const k of kept) out.push(offset + k);
      else for (let k = 0; k < seg.size; k++) out.push(offset + k);
      offset += seg.size;
    }
  }
  return out;
}

/** True when `layout` contains `space` at least once. */
export function touches(layout: Layout, space: (s: number) => boolean): boolean {
  return layout.segments.some((s) => space(s.space));
}

export function singleSpace(space: number, size: number): Layout {
  return { segments: [{ space, size }], repeat: 1 };
}
