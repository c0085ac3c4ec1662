import { ShrinkmlError } from '../../core/errors.js';

export const RECIPE_FORMAT = 'shrinkml.prune.structured';

/** One coupled group that was cut: which of its channels survive. */
export interface RecipeGroup {
  /** The group's producers joined by '+', as the dependency graph names it. */
  key: string;
  /** Channels before the cut. */
  size: number;
  /** Surviving channel indices, ascending. */
  keep: number[];
  /** Every layer rewritten by this cut (for people reading the recipe; replay derives it again). */
  layers: string[];
}

/**
 * A replayable description of a structured cut: applying it to the same model gives the same smaller model,
 * and printing it is what `--dry-run` shows.
 */
export interface StructuredRecipe {
  format: typeof RECIPE_FORMAT;
  version: 1;
  /** How channels were ranked (informational on replay). */
  criterion: string;
  /** Fraction of channels removed per group (informational on replay). */
  ratio: number | null;
  /** Fold the constant output of removed channels (bias, BN β) into the next layer's bias. */
  foldConstants: boolean;
  groups: RecipeGroup[];
  /** Groups left whole and why (informational). */
  skipped: { key: string; reasons: string[] }[];
}

function bad(message: string): never {
  throw new ShrinkmlError('BAD_INPUT', `prune recipe: ${message}`, { subject: 'recipe' });
}

/** Check an untrusted recipe (e.g. read from a file) before it touches a model. */
export function validateRecipe(value: unknown): StructuredRecipe {
  const r = value as Partial<StructuredRecipe> | null;
  if (!r || typeof r !== 'object') bad('not a JSON object');
  if (r.format !== RECIPE_FORMAT) bad(`format must be '${RECIPE_FORMAT}', got '${String(r.format)}'`);
  if (r.version !== 1) bad(`unsupported version ${String(r.version)}`);
  if (!Array.isArray(r.groups)) bad('groups must be a list');
  const seen = new Set<string>();
  for (const g of r.groups) {
    if (!g || typeof g.key !== 'string' || !g.key) bad('every group needs a key');
    if (seen.has(g.key)) bad(`group '${g.key}' appears twice`);
    seen.add(g.key);
    if (!Number.isInteger(g.size) || g.size < 1) bad(`group '${g.key}': size must be a positive integer`);
    if (!Array.isArray(g.keep) || g.keep.length === 0) bad(`group '${g.key}': keep must list at least one channel`);
    g.keep.forEach((k, i) => {
      if (!Number.isInteger(k) || k < 0 || k >= g.size) bad(`group '${g.key}': channel ${String(k)} is out of range 0..${g.size - 1}`);
      if (i > 0 && k <= g.keep[i - 1]) bad(`group '${g.key}': keep must be strictly ascending`);
    });
  }
  return {
    format: RECIPE_FORMAT, version: 1, criterion: String(r.criterion ?? 'l1'),
    ratio: typeof r.ratio === 'number' ? r.ratio : null, foldConstants: r.foldConstants !== false,
    groups: r.groups.map((g) => ({ key: g.key, size: g.size, keep: [...g.keep], layers: Array.isArray(g.layers) ? [...g.layers] : [] })),
    skipped: Array.isArray(r.skipped) ? r.skipped : [],
  };
}
