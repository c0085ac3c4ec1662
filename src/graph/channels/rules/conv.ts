import type { ChannelRule } from '../types.js';
import { channelsFirst, isSoftmax, opaque, weightRank } from './util.js';

/** Conv1D/2D/3D, channels-last: kernel [...spatial, in, filters]. Filters are a fresh channel space. */
export const convRule: ChannelRule = {
  classNames: ['Conv1D', 'Conv2D', 'Conv3D'],
  flow: (ctx) => {
    if (channelsFirst(ctx)) return opaque(ctx, 'channels_first data format');
    const rank = weightRank(ctx, 'kernel');
    if (rank === null) return opaque(ctx, 'no kernel weight');
    ctx.bind('kernel', rank - 2, 'in', ctx.inputs[0]);
    const out = ctx.newSpace(Number(ctx.node.config.filters),
      isSoftmax(ctx.node.config.activation) ? `${ctx.node.name}: softmax activation` : undefined);
    ctx.bind('kernel', rank - 1, 'out', out);
    ctx.bind('bias', 0, 'out', out);
    return out;
  },
};
