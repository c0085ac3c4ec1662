import { attr } from '../../attrs.js';
import { config, type LayerConverter } from '../context.js';
import { applyActivation } from './activation.js';

/**
 * Dense → Gemm on rank-2 inputs (weights kept [in, out], so no transB), MatMul + Add on higher ranks (tfjs applies
 * the kernel to the last axis, in tfjs order).
 */
export const denseLayer: LayerConverter = {
  classNames: ['Dense'],
  convert(ctx, layer, [x]) {
    const c = config(layer);
    const kernel = ctx.requireWeight(layer, 'kernel');
    const bias = c.useBias === false ? undefined : ctx.weight(layer, 'bias');
    const input = ctx.tfOrder(x!);
    const w = ctx.b.initializer(`${layer.name}_kernel`, kernel.shape, kernel.values);
    const b = bias && ctx.b.initializer(`${layer.name}_bias`, bias.shape, bias.values);
    let out: string;
    if (x!.shape.length === 2) {
      out = ctx.b.op('Gemm', b ? [input, w, b] : [input, w], { name: layer.name, attrs: [attr.float('alpha', 1), attr.float('beta', 1)] });
    } else {
      out = ctx.b.op('MatMul', [input, w], { name: layer.name });
      if (b) out = ctx.b.op('Add', [out, b], { name: `${layer.name}_bias_add` });
    }
    const shape = [...x!.shape.slice(0, -1), kernel.shape[1]!];
    return applyActivation(ctx, layer, { name: out, shape, nchw: false }, c.activation);
  },
};
