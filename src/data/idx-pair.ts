import { classCount, inputsFrom, labelsFrom, pairSet } from './convert.js';
import { readIdxFile } from './idx.js';
import type { RawSet } from './types.js';

/** Loads an IDX images file and, when given, its labels file as one set. */
export async function loadIdxPair(images: string, labels?: string): Promise<RawSet> {
  const [x, y] = await Promise.all([readIdxFile(images), labels ? readIdxFile(labels) : undefined]);
  const inputs = inputsFrom({ shape: x.dims, dtype: x.dtype, data: x.data }, images);
  const ys = y && labels ? labelsFrom({ shape: y.dims, dtype: y.dtype, data: y.data }, labels) : undefined;
  return pairSet(inputs, images, ys, labels);
}

/** Classes seen across sets (max label + 1). */
export function classesOf(...sets: RawSet[]): number | undefined {
  const counts = sets.map((s) => classCount(s.labels)).filter((c): c is number => c !== undefined);
  return counts.length ? Math.max(...counts) : undefined;
}
