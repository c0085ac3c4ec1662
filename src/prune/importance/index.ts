import { ShrinkmlError } from '../../core/errors.js';
import { l1 } from './l1.js';
import { l2 } from './l2.js';
import { random } from './random.js';
import type { ImportanceCriterion } from './types.js';

/** Importance criteria; `l1` is the default. */
export const IMPORTANCE: ImportanceCriterion[] = [l1, l2, random];

export function getImportance(name: string = 'l1', subject = 'criterion'): ImportanceCriterion {
  const found = IMPORTANCE.find((c) => c.name === name);
  if (!found) {
    throw new ShrinkmlError('BAD_INPUT', `unknown importance criterion '${name}'`, {
      subject, suggestion: `use one of ${IMPORTANCE.map((c) => c.name).join(', ')}`,
    });
  }
  return found;
}

export type { ImportanceCriterion } from './types.js';
