import { attr } from '../../attrs.js';
import { config, type LayerConverter } from '../context.js';

/**
 * BatchNormalization (inference: moving statistics). Rank-4 inputs use ONNX BatchNormalization on NCHW data, which
 * onnxruntime folds into a preceding Conv; other ranks become x * s + t over the last axis.
 */
export const batchNormLayer: LayerConverter = {
  classNames: ['BatchNormalization'],
  convert(ctx, layer, [x]) {
    const c = config(layer);
    const rank = x!.shape.length;
    const axis = Number(c.axis ?? -1);
    if (axis !== -1 && axis !== rank - 1) throw ctx.unsupported(layer, `normalizes axis ${axis}; only the channels (last) axis is exported`);
    const mean = ctx.requireWeight(layer, 'moving_mean').values;
    const variance = ctx.requireWeight(layer, 'moving_variance').values;
    const n = mean.length;
    const gamma = ctx.weight(layer, 'gamma')?.values ?? new Float32Array(n).fill(1);
    const beta = ctx.weight(layer, 'beta')?.values ?? new Float32Array(n);
    const epsilon = Number(c.epsilon ?? 1e-3);
    const b = ctx.b;
    if (rank === 4) {
      const input = ctx.channelsFirst(x!, layer);
      const names = [['scale', gamma], ['bias', beta], ['mean', mean], ['var', variance]] as const;
      const inputs = names.map(([suffix, values]) => b.initializer(`${layer.name}_${suffix}`, [n], values));
      return { name: b.op('BatchNormalization', [input, ...inputs], { name: layer.name, attrs: [attr.float('epsilon', epsilon)] }), shape: x!.shape, nchw: true };
    }
    // The same arithmetic tfjs does: (x - mean) * gamma / sqrt(var + eps) + beta, folded to one scale and shift.
    const scale = new Float32Array(n);
    const shift = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      scale[i] = gamma[i]! / Math.sqrt(variance[i]! + epsilon);
      shift[i] = beta[i]! - mean[i]! * scale[i]!;
    }
    const mul = b.op('Mul', [ctx.tfOrder(x!), b.initializer(`${layer.name}_scale`, [n], scale)], { name: `${layer.name}_mul` });
    return { name: b.op('Add', [mul, b.initializer(`${layer.name}_shift`, [n], shift)], { name: layer.name }), shape: x!.shape, nchw: false };
  },
};
