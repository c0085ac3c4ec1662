import type { ChannelRule } from '../types.js';
import { isSoftmax } from './util.js';

/** Dense acts on the last axis: kernel [in, units]. Its units are a fresh channel space. */
export const denseRule: ChannelRule = {
  classNames: ['Dense'],
  flow: (ctx) => {
    ctx.bind('kernel', 0, 'in', ctx.inputs[0]);
    const units = Number(ctx.node.config.units);
    const out = ctx.newSpace(units, isSoftmax(ctx.node.config.activation) ? `${ctx.node.name}: softmax activation` : undefined);
    ctx.bind('kernel', 1, 'out', out);
    ctx.bind('bias', 0, 'out', out);
    return out;
  },
};
