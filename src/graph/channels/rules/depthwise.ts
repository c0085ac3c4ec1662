import type { ChannelRule } from '../types.js';
import { channelsFirst, opaque } from './util.js';

/**
 * DepthwiseConv2D with depth multiplier 1 maps channel c to channel c: it passes its input's channels through,
 * with one kernel slice and bias entry per channel. A multiplier above 1 interleaves channels; left whole.
 */
export const depthwiseRule: ChannelRule = {
  classNames: ['DepthwiseConv2D'],
  flow: (ctx) => {
    if (channelsFirst(ctx)) return opaque(ctx, 'channels_first data format');
    if (Number(ctx.node.config.depthMultiplier ?? 1) !== 1) return opaque(ctx, 'depth multiplier above 1');
    if (ctx.node.config.activation === 'softmax') return opaque(ctx, 'softmax activation');
    const input = ctx.inputs[0];
    ctx.bind('depthwise_kernel', 2, 'channel', input);
    ctx.bind('bias', 0, 'channel', input);
    return input;
  },
};
