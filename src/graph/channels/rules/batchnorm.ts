import type { ChannelRule } from '../types.js';
import { isLastAxis, opaque } from './util.js';

/** BatchNormalization over the channel axis passes channels through with four per-channel vectors. */
export const batchNormRule: ChannelRule = {
  classNames: ['BatchNormalization'],
  flow: (ctx) => {
    if (!isLastAxis(ctx.node.config.axis ?? -1, ctx.outputRank)) return opaque(ctx, 'normalises an axis other than the last');
    const input = ctx.inputs[0];
    for (const role of ['gamma', 'beta', 'moving_mean', 'moving_variance']) ctx.bind(role, 0, 'channel', input);
    return input;
  },
};
