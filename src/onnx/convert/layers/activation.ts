import type * as tf from '@tensorflow/tfjs';
import { attr } from '../../attrs.js';
import { config, type ConvertContext, type LayerConverter, type Value } from '../context.js';

/**
 * tfjs activation names → ONNX nodes. Elementwise, so the value's layout is kept; only softmax needs its axis
 * (the tfjs last axis) mapped onto the stored layout.
 */
export function applyActivation(ctx: ConvertContext, layer: tf.layers.Layer, v: Value, activation: unknown): Value {
  const name = String(activation ?? 'linear');
  const b = ctx.b;
  const base = `${layer.name}_${name}`;
  const out = (n: string): Value => ({ ...v, name: n });
  switch (name) {
    case 'linear': return v;
    case 'relu': return out(b.op('Relu', [v.name], { name: base }));
    case 'sigmoid': return out(b.op('Sigmoid', [v.name], { name: base }));
    case 'tanh': return out(b.op('Tanh', [v.name], { name: base }));
    case 'elu': return out(b.op('Elu', [v.name], { name: base }));
    case 'selu': return out(b.op('Selu', [v.name], { name: base }));
    case 'softplus': return out(b.op('Softplus', [v.name], { name: base }));
    case 'softsign': return out(b.op('Softsign', [v.name], { name: base }));
    case 'hardSigmoid': case 'hard_sigmoid': return out(b.op('HardSigmoid', [v.name], { name: base }));
    case 'relu6': return clip(ctx, v, base, 0, 6);
    case 'swish': return out(b.op('Mul', [v.name, b.op('Sigmoid', [v.name], { name: `${base}_sigmoid` })], { name: base }));
    case 'softmax': {
      const axis = v.nchw ? 1 : -1;
      return out(b.op('Softmax', [v.name], { name: base, attrs: [attr.int('axis', axis)] }));
    }
    default: throw ctx.unsupported(layer, `uses activation '${name}', which the ONNX exporter does not support`);
  }
}

function clip(ctx: ConvertContext, v: Value, base: string, min: number, max: number): Value {
  // Since opset 11 Clip takes its bounds as inputs.
  const lo = ctx.b.initializer(`${base}_min`, [], [min]);
  const hi = ctx.b.initializer(`${base}_max`, [], [max]);
  return { ...v, name: ctx.b.op('Clip', [v.name, lo, hi], { name: base }) };
}

export const activationLayers: LayerConverter = {
  classNames: ['Activation', 'ReLU', 'LeakyReLU', 'Softmax', 'ELU'],
  convert(ctx, layer, [x]) {
    const c = config(layer);
    switch (layer.getClassName()) {
      case 'Activation': return applyActivation(ctx, layer, x!, c.activation);
      case 'ReLU':
        if (c.maxValue != null) return clip(ctx, x!, layer.name, 0, Number(c.maxValue));
        return applyActivation(ctx, layer, x!, 'relu');
      case 'LeakyReLU':
        return { ...x!, name: ctx.b.op('LeakyRelu', [x!.name], { name: layer.name, attrs: [attr.float('alpha', Number(c.alpha ?? 0.3))] }) };
      case 'ELU':
        return { ...x!, name: ctx.b.op('Elu', [x!.name], { name: layer.name, attrs: [attr.float('alpha', Number(c.alpha ?? 1))] }) };
      default: {
        const axis = Number(c.axis ?? -1);
        if (axis !== -1 && axis !== x!.shape.length - 1) throw ctx.unsupported(layer, `softmax over axis ${axis} is not supported (only the last axis)`);
        return applyActivation(ctx, layer, x!, 'softmax');
      }
    }
  },
};
