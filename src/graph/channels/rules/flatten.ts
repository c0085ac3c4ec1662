import type { ChannelRule } from '../types.js';
import { opaque } from './util.js';

/**
 * Flatten of a channels-last [H, W, C] tensor puts channel c at c, c+C, c+2C, ...: the same channels repeated
 * H·W times, which is exactly what the following Dense's kernel rows must follow.
 */
export const flattenRule: ChannelRule = {
  classNames: ['Flatten'],
  flow: (ctx) => {
    if (ctx.node.config.dataFormat === 'channelsFirst') return opaque(ctx, 'channels_first data format');
    const shape = ctx.node.inputShapes[0] ?? [];
    const spatial = shape.slice(1, -1);
    if (spatial.some((d) => d === null)) return opaque(ctx, 'spatial size unknown');
    const input = ctx.inputs[0];
    const factor = spatial.reduce<number>((p, d) => p * (d as number), 1);
    return { segments: input.segments, repeat: input.repeat * factor };
  },
};
