import type { ChannelRule } from '../types.js';

export const inputRule: ChannelRule = {
  classNames: ['InputLayer'],
  flow: (ctx) => ctx.newSpace(ctx.outputChannels ?? 0, 'model input'),
};
