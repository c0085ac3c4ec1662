import { expect, it } from 'vitest';
import { isShrinkmlError } from '../../src/core/errors.js';
import { formatPruneSpec, parsePruneSpec } from '../../src/prune/index.js';

it.each([
  ['magnitude:0.9', { kind: 'magnitude', sparsity: 0.9, scope: 'layer', criterion: 'l1' }],
  ['magnitude:0.9:global', { kind: 'magnitude', sparsity: 0.9, scope: 'global', criterion: 'l1' }],
  ['Magnitude:.5:global:random', { kind: 'magnitude', sparsity: 0.5, scope: 'global', criterion: 'random' }],
  ['2:4', { kind: 'nm', n: 2, m: 4, criterion: 'l1' }],
  ['1:8:l2', { kind: 'nm', n: 1, m: 8, criterion: 'l2' }],
  ['structured:0.5', { kind: 'structured', ratio: 0.5, criterion: 'l1' }],
  ['structured:0.25:l2', { kind: 'structured', ratio: 0.25, criterion: 'l2' }],
])('parses %s', (text, spec) => {
  expect(parsePruneSpec(text)).toEqual(spec);
  expect(parsePruneSpec(formatPruneSpec(parsePruneSpec(text)))).toEqual(spec);
});

it.each([
  ['', 'empty'],
  ['magnitude', "sparsity must be a number"],
  ['magnitude:1', 'must be in [0, 1)'],
  ['magnitude:abc', 'must be a number'],
  ['magnitude:0.9:everywhere', "unknown option 'everywhere'"],
  ['4:2', 'N:M needs 1 ≤ N < M'],
  ['structured:0.5:global', "unknown option 'global'"],
  ['lottery:0.5', "unknown pruning method 'lottery'"],
])('rejects %j with a one-line error naming --prune', (text, problem) => {
  try {
    parsePruneSpec(text);
    expect.unreachable();
  } catch (e) {
    expect(isShrinkmlError(e)).toBe(true);
    const err = e as { subject: string; message: string; code: string };
    expect(err.subject).toBe('--prune');
    expect(err.code).toBe('BAD_INPUT');
    expect(err.message).toContain(problem);
    expect(err.message).not.toContain('\n');
  }
});
