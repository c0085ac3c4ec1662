import type { FlowContext, Layout } from '../types.js';

/** A layer the graph cannot see through: its inputs and output keep every channel, with a warning naming it. */
export function opaque(ctx: FlowContext, reason: string): Layout {
  ctx.warn(`layer '${ctx.node.name}' (${ctx.node.className}): ${reason}; channels around it are left unpruned`);
  for (const input of ctx.inputs) ctx.pin(input, `${ctx.node.name}: ${reason}`);
  return ctx.newSpace(ctx.outputChannels ?? 0, `${ctx.node.name}: ${reason}`);
}

export function channelsFirst(ctx: FlowContext): boolean {
  return ctx.node.config.dataFormat === 'channelsFirst' || ctx.node.config.dataFormat === 'channels_first';
}

/** True when `axis` (possibly negative, possibly a one-element list) is the last axis of a rank-`rank` tensor. */
export function isLastAxis(axis: unknown, rank: number): boolean {
  const a = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis;
  if (typeof a !== 'number') return false;
  return a === -1 || a === rank - 1;
}

export function weightRank(ctx: FlowContext, role: string): number | null {
  const w = ctx.node.weights.find((x) => x.role === role);
  return w ? w.shape.length : null;
}

/** Softmax couples every channel to every other one: removing one changes the rest. */
export function isSoftmax(activation: unknown): boolean {
  return activation === 'softmax';
}
