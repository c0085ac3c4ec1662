import { convHandler, separableHandler } from './conv.js';
import { denseHandler } from './dense.js';
import { batchNormHandler, depthwiseHandler, flattenHandler, mergeHandler, passThroughHandler, reshapeHandler } from './passthrough.js';
import type { CutHandler } from './types.js';

/** Cut handlers, one per layer-class family. A layer the cut touches must have one. */
export const CUT_HANDLERS: CutHandler[] = [
  denseHandler, convHandler, separableHandler, depthwiseHandler, batchNormHandler, flattenHandler, mergeHandler, reshapeHandler, passThroughHandler,
];

const byClass = new Map(CUT_HANDLERS.flatMap((h) => h.classNames.map((c) => [c, h] as const)));

export function cutHandlerFor(className: string): CutHandler | undefined {
  return byClass.get(className);
}

export type { CutHandler, FoldArgs } from './types.js';
