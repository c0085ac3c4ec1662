import type { ChannelRule } from '../types.js';
import { channelsFirst, isSoftmax, opaque } from './util.js';

/** SeparableConv1D/2D: depthwise kernel [...k, in, mult], pointwise kernel [...1, in·mult, filters]. */
export const separableRule: ChannelRule = {
  classNames: ['SeparableConv1D', 'SeparableConv2D'],
  flow: (ctx) => {
    if (channelsFirst(ctx)) return opaque(ctx, 'channels_first data format');
    const dw = ctx.node.weights.find((w) => w.role === 'depthwise_kernel');
    const pw = ctx.node.weights.find((w) => w.role === 'pointwise_kernel');
    if (!dw || !pw) return opaque(ctx, 'missing depthwise/pointwise kernel');
    const r = dw.shape.length;
    if (Number(ctx.node.config.depthMultiplier ?? 1) === 1) {
      ctx.bind('depthwise_kernel', r - 2, 'in', ctx.inputs[0]);
      ctx.bind('pointwise_kernel', r - 2, 'in', ctx.inputs[0]);
    } else {
      ctx.pin(ctx.inputs[0], `${ctx.node.name}: depth multiplier above 1`);
    }
    const out = ctx.newSpace(Number(ctx.node.config.filters),
      isSoftmax(ctx.node.config.activation) ? `${ctx.node.name}: softmax activation` : undefined);
    ctx.bind('pointwise_kernel', r - 1, 'out', out);
    ctx.bind('bias', 0, 'out', out);
    return out;
  },
};
