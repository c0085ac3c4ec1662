import { ShrinkmlError } from '../core/errors.js';
import type { WarnFn } from '../core/progress.js';
import { getImportance } from './importance/index.js';
import type { MaskMap } from './masks.js';
import { seededRandom } from './rng.js';
import { readWeightValues, type PrunableWeight } from './targets.js';

export interface NMOptions {
  weights: PrunableWeight[];
  n?: number;
  m?: number;
  criterion?: string;
  seed?: number;
  onWarn?: WarnFn;
}

/** Visit each block of up to `m` consecutive entries along `axis`, as lists of flat indices. */
export function forEachBlock(shape: number[], axis: number, m: number, visit: (indices: number[]) => void): void {
  const dim = shape[axis];
  const stride = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < stride; i++) {
      for (let b = 0; b < dim; b += m) {
        const idx: number[] = [];
        for (let t = b; t < Math.min(b + m, dim); t++) idx.push((o * dim + t) * stride + i);
        visit(idx);
      }
    }
  }
}

export function checkNM(n: number, m: number, subject = '--prune'): void {
  if (!(Number.isInteger(n) && Number.isInteger(m) && n >= 1 && m >= 2 && n < m && m <= 64)) {
    throw new ShrinkmlError('BAD_INPUT', `N:M sparsity needs integers 1 ≤ N < M ≤ 64, got ${n}:${m}`, { subject, suggestion: 'use 2:4' });
  }
}

/**
 * N:M masks: in every block of M consecutive input channels (for each output channel and kernel position), keep
 * the N most important weights. A trailing block shorter than M keeps at most N. Ties: the lower index is pruned.
 */
export async function computeNMMasks(options: NMOptions): Promise<MaskMap> {
  const { n = 2, m = 4 } = options;
  checkNM(n, m);
  const criterion = getImportance(options.criterion);
  const rnd = seededRandom(options.seed ?? 0);
  const masks: MaskMap = new Map();
  for (const w of options.weights) {
    if (w.inputAxis === null) {
      options.onWarn?.(`layer '${w.layer}' (${w.className}): ${w.name} has no input-channel axis; left dense by ${n}:${m} pruning`);
      continue;
    }
    const scores = criterion.elementScores(await readWeightValues(w), rnd);
    const keep = new Uint8Array(scores.length).fill(1);
    forEachBlock(w.shape, w.inputAxis, m, (idx) => {
      if (idx.length <= n) return;
      // Sort by score, then by index, so equal scores prune the lower index first.
      const order = [...idx].sort((a, b) => scores[a] - scores[b] || a - b);
      for (const i of order.slice(0, idx.length - n)) keep[i] = 0;
    });
    masks.set(w.name, keep);
  }
  return masks;
}

/** True when no block of M along the input axis has more than N non-zeros. */
export function isNMSparse(values: ArrayLike<number>, shape: number[], axis: number, n: number, m: number): boolean {
  let ok = true;
  forEachBlock(shape, axis, m, (idx) => {
    if (idx.filter((i) => values[i] !== 0).length > n) ok = false;
  });
  return ok;
}
