import { attr } from '../../attrs.js';
import { config, outputShape, type LayerConverter } from '../context.js';

/**
 * Flatten and Reshape work on the tfjs (channels-last) element order: an NCHW value is transposed back first, so
 * the Dense weights that follow see exactly the order they were trained on.
 */
export const reshapeLayers: LayerConverter = {
  classNames: ['Flatten', 'Reshape', 'ZeroPadding2D'],
  convert(ctx, layer, [x]) {
    const c = config(layer);
    const kind = layer.getClassName();
    if (kind === 'ZeroPadding2D') {
      const p = c.padding as number[][];
      const [[top, bottom], [left, right]] = p as [[number, number], [number, number]];
      const pads = ctx.b.initializer(`${layer.name}_pads`, [8], [0, 0, top, left, 0, 0, bottom, right], 'int64');
      return { name: ctx.b.op('Pad', [ctx.channelsFirst(x!, layer), pads], { name: layer.name }), shape: outputShape(layer), nchw: true };
    }
    const input = ctx.tfOrder(x!);
    if (kind === 'Flatten') {
      if (c.dataFormat === 'channelsFirst' && x!.shape.length > 2) throw ctx.unsupported(layer, 'uses channelsFirst data; only channelsLast is exported');
      if (x!.shape.length === 2) return { ...x!, name: input, nchw: false };
      return { name: ctx.b.op('Flatten', [input], { name: layer.name, attrs: [attr.int('axis', 1)] }), shape: outputShape(layer), nchw: false };
    }
    const target = (c.targetShape as number[]).map(Number);
    // 0 copies the batch dimension from the input (allowzero defaults to 0).
    const shape = ctx.b.initializer(`${layer.name}_shape`, [target.length + 1], [0, ...target], 'int64');
    return { name: ctx.b.op('Reshape', [input, shape], { name: layer.name }), shape: outputShape(layer), nchw: false };
  },
};
