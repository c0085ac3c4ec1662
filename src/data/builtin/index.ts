import type { BuiltinDataset } from '../types.js';
import { fashionMnist } from './fashion-mnist.js';
import { mnist } from './mnist.js';

/** The built-in datasets, by name. Adding one = one file + one line here. */
export const BUILTIN_DATASETS: readonly BuiltinDataset[] = [mnist, fashionMnist];

export function findBuiltinDataset(name: string): BuiltinDataset | undefined {
  return BUILTIN_DATASETS.find((d) => d.name === name);
}
