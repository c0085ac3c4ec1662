import type { ChannelRule } from '../types.js';
import { opaque } from './util.js';

/**
 * A Reshape that keeps the last dimension moves whole rows of channels (row-major order), so channel c stays
 * channel c: [C] → [1,1,C] in a squeeze-excite block, [H,W,C] → [H·W,C]. Any other reshape mixes channels.
 */
export const reshapeRule: ChannelRule = {
  classNames: ['Reshape'],
  flow: (ctx) => {
    const inShape = ctx.node.inputShapes[0] ?? [];
    const inLast = inShape[inShape.length - 1];
    if (typeof inLast === 'number' && inLast === ctx.outputChannels && ctx.outputRank >= 2) return ctx.inputs[0];
    return opaque(ctx, 'reshape changes the channel axis');
  },
};
