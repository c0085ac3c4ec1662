import { ShrinkmlError } from '../core/errors.js';
import { IMPORTANCE } from './importance/index.js';

/** What `--prune` asks for. */
export type PruneSpec =
  | { kind: 'magnitude'; sparsity: number; scope: 'layer' | 'global'; criterion: string }
  | { kind: 'nm'; n: number; m: number; criterion: string }
  | { kind: 'structured'; ratio: number; criterion: string };

/** Text for `--prune` in --help; the CLI shows it as is. */
export const PRUNE_SPEC_HELP = [
  'magnitude:S[:global]  zero a fraction S of the weights (per layer, or one threshold across layers)',
  'N:M                   N:M sparsity along input channels, e.g. 2:4',
  'structured:R          remove a fraction R of the filters/units of every coupled channel group',
  'append :l1 (default), :l2 or :random to choose the importance criterion.',
  'Unstructured (magnitude) and 2:4 sparsity make nothing faster in today\'s runtimes (tfjs, ONNX Runtime Web);',
  'they only shrink the gzip size. Only structured pruning makes the model faster and its file smaller.',
].join('\n');

const CRITERIA = (): string[] => IMPORTANCE.map((c) => c.name);

function bad(text: string, problem: string): never {
  throw new ShrinkmlError('BAD_INPUT', `--prune '${text}': ${problem}`, {
    subject: '--prune', suggestion: 'use magnitude:0.9, magnitude:0.9:global, 2:4 or structured:0.5 (optionally :l1, :l2 or :random)',
  });
}

function fraction(text: string, value: string | undefined, what: string): number {
  if (value === undefined || !/^(\d+\.?\d*|\.\d+)$/.test(value)) bad(text, `${what} must be a number in [0, 1), got '${value ?? ''}'`);
  const v = Number(value);
  if (!(v >= 0 && v < 1)) bad(text, `${what} must be in [0, 1), got ${value}`);
  return v;
}

/** Parse `magnitude:0.9[:global]`, `2:4`, `structured:0.5`, each optionally followed by `:l1|:l2|:random`. */
export function parsePruneSpec(text: string): PruneSpec {
  const raw = String(text ?? '').trim();
  const parts = raw.toLowerCase().split(':');
  if (!raw) bad(raw, 'empty');
  let criterion = 'l1';
  let scope: 'layer' | 'global' | undefined;
  const takeOptions = (rest: string[], allowScope: boolean): void => {
    for (const opt of rest) {
      if (CRITERIA().includes(opt)) criterion = opt;
      else if (allowScope && (opt === 'global' || opt === 'layer')) scope = opt;
      else bad(raw, `unknown option '${opt}' (expected ${allowScope ? 'global, layer, ' : ''}${CRITERIA().join(', ')})`);
    }
  };
  const [head, ...rest] = parts;
  if (head === 'magnitude') {
    const sparsity = fraction(raw, rest[0], 'sparsity');
    takeOptions(rest.slice(1), true);
    return { kind: 'magnitude', sparsity, scope: scope ?? 'layer', criterion };
  }
  if (head === 'structured') {
    const ratio = fraction(raw, rest[0], 'ratio');
    takeOptions(rest.slice(1), false);
    return { kind: 'structured', ratio, criterion };
  }
  if (/^\d+$/.test(head) && rest.length >= 1 && /^\d+$/.test(rest[0])) {
    const n = Number(head);
    const m = Number(rest[0]);
    if (!(n >= 1 && n < m && m <= 64)) bad(raw, `N:M needs 1 ≤ N < M ≤ 64, got ${n}:${m}`);
    takeOptions(rest.slice(1), false);
    return { kind: 'nm', n, m, criterion };
  }
  return bad(raw, `unknown pruning method '${head}'`);
}

/** The canonical text of a spec (what parsePruneSpec reads back). */
export function formatPruneSpec(spec: PruneSpec): string {
  const c = spec.criterion === 'l1' ? '' : `:${spec.criterion}`;
  if (spec.kind === 'magnitude') return `magnitude:${spec.sparsity}${spec.scope === 'global' ? ':global' : ''}${c}`;
  if (spec.kind === 'nm') return `${spec.n}:${spec.m}${c}`;
  return `structured:${spec.ratio}${c}`;
}
