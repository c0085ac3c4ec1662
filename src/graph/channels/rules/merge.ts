import type { ChannelRule, Layout } from '../types.js';
import { isLastAxis, opaque } from './util.js';

/** Element-wise merges force the same channels on every input: cutting channel c must cut it everywhere. */
export const elementwiseRule: ChannelRule = {
  classNames: ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum'],
  flow: (ctx) => {
    const [first, ...rest] = ctx.inputs;
    for (const other of rest) ctx.unify(first, other, `${ctx.node.name}: inputs of ${ctx.node.className} differ in structure`);
    return first;
  },
};

/** Concatenate on the channel axis lays its inputs' channels side by side: each keeps its own group, offset. */
export const concatenateRule: ChannelRule = {
  classNames: ['Concatenate'],
  flow: (ctx) => {
    if (!isLastAxis(ctx.node.config.axis ?? -1, ctx.outputRank)) {
      const [first, ...rest] = ctx.inputs;
      for (const other of rest) ctx.unify(first, other, `${ctx.node.name}: concatenated off the channel axis`);
      return first;
    }
    if (ctx.inputs.some((l) => l.repeat !== 1)) return opaque(ctx, 'concatenates flattened tensors');
    const out: Layout = { segments: ctx.inputs.flatMap((l) => l.segments), repeat: 1 };
    return out;
  },
};
