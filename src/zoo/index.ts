import { ShrinkmlError } from '../core/errors.js';
import { lenet300100 } from './lenet-300-100.js';
import { lenet5 } from './lenet5.js';
import { residual } from './residual.js';
import { teacher } from './teacher.js';
import type { Architecture } from './types.js';

export type { Architecture } from './types.js';
export { seededInit } from './init.js';

/** The reference architectures, by fixed name. Adding one = one file + one line here. */
export const ARCHITECTURES: readonly Architecture[] = [lenet300100, residual, lenet5, teacher];

export function getArchitecture(name: string): Architecture {
  const arch = ARCHITECTURES.find((a) => a.name === name);
  if (!arch) {
    throw new ShrinkmlError('BAD_INPUT', `unknown architecture '${name}'`, {
      subject: name, suggestion: `use one of ${ARCHITECTURES.map((a) => a.name).join(', ')}`,
    });
  }
  return arch;
}

export { measureModelFolder, renderModelsReadme } from './report.js';
export type { ModelRecord } from './report.js';
