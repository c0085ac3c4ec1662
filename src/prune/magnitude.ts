import { ShrinkmlError } from '../core/errors.js';
import { getImportance } from './importance/index.js';
import type { MaskMap } from './masks.js';
import { seededRandom } from './rng.js';
import { countToPrune, keepAllButLowest } from './select.js';
import { matchesAny, readWeightValues, type LayerMatcher, type PrunableWeight } from './targets.js';

export interface SparsityOverride {
  /** Layers this override applies to (name or pattern). */
  match: LayerMatcher;
  sparsity: number;
}

export interface MagnitudeMaskOptions {
  weights: PrunableWeight[];
  /** Fraction of weights to zero, in [0, 1). */
  sparsity: number;
  /** `layer`: each weight reaches `sparsity` on its own; `global`: one threshold across all weights. */
  scope?: 'layer' | 'global';
  /** Layers pruned to their own sparsity, outside the global pool. */
  overrides?: SparsityOverride[];
  /** Importance criterion name (l1 default, l2, random). */
  criterion?: string;
  seed?: number;
  /** Values to score instead of reading each weight (the callback passes them to avoid a second read). */
  values?: Map<string, Float32Array>;
}

export function checkSparsity(sparsity: number, subject: string): void {
  if (!(Number.isFinite(sparsity) && sparsity >= 0 && sparsity < 1)) {
    throw new ShrinkmlError('BAD_INPUT', `sparsity ${sparsity} is out of range [0, 1)`, { subject, suggestion: 'e.g. 0.9 for 90% zeros' });
  }
}

/**
 * Keep-masks that zero the lowest-importance weights: exactly round(sparsity·n) per weight (layer scope), or
 * exactly round(sparsity·N) over the pool (global scope, ties broken by layer order then index).
 */
export async function computeMagnitudeMasks(options: MagnitudeMaskOptions): Promise<MaskMap> {
  const { weights, sparsity, scope = 'layer', overrides = [] } = options;
  checkSparsity(sparsity, 'sparsity');
  for (const o of overrides) checkSparsity(o.sparsity, `override ${String(o.match)}`);
  const criterion = getImportance(options.criterion);
  const rnd = seededRandom(options.seed ?? 0);
  // Read every weight first (concurrently, and never synchronously: see core/read.ts), then score in order.
  const values = new Map(await Promise.all(weights.map(async (w) => [w.name, options.values?.get(w.name) ?? await readWeightValues(w)] as const)));
  const scoresOf = (w: PrunableWeight): Float32Array => criterion.elementScores(values.get(w.name)!, rnd);
  const masks: MaskMap = new Map();
  const pool: PrunableWeight[] = [];
  for (const w of weights) {
    const override = overrides.find((o) => matchesAny(w.layer, [o.match]));
    if (override || scope === 'layer') {
      const s = override ? override.sparsity : sparsity;
      const scores = scoresOf(w);
      masks.set(w.name, keepAllButLowest(scores, countToPrune(scores.length, s)));
    } else {
      pool.push(w);
    }
  }
  if (pool.length) {
    const parts = pool.map(scoresOf);
    const all = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
    let offset = 0;
    for (const p of parts) { all.set(p, offset); offset += p.length; }
    const keep = keepAllButLowest(all, countToPrune(all.length, sparsity));
    offset = 0;
    pool.forEach((w, i) => { masks.set(w.name, keep.slice(offset, offset + parts[i].length)); offset += parts[i].length; });
  }
  return masks;
}
