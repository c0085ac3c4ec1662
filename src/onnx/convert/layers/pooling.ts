import { attr } from '../../attrs.js';
import { config, outputShape, padsFor, pair, type LayerConverter } from '../context.js';

/**
 * Max/average pooling (2D and global) on NCHW data. TF 'same' average pooling ignores the padding in its count,
 * which is ONNX's default (count_include_pad = 0); max pooling pads with -inf in both.
 */
export const poolingLayers: LayerConverter = {
  classNames: ['MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D'],
  convert(ctx, layer, [x]) {
    const c = config(layer);
    if (c.dataFormat === 'channelsFirst') throw ctx.unsupported(layer, 'uses channelsFirst data; only channelsLast is exported');
    const input = ctx.channelsFirst(x!, layer);
    const kind = layer.getClassName();
    if (kind.startsWith('Global')) {
      const pooled = ctx.b.op(kind === 'GlobalAveragePooling2D' ? 'GlobalAveragePool' : 'GlobalMaxPool', [input], { name: `${layer.name}_pool` });
      // [N, C, 1, 1] → [N, C], the tfjs output.
      return { name: ctx.b.op('Flatten', [pooled], { name: layer.name, attrs: [attr.int('axis', 1)] }), shape: outputShape(layer), nchw: false };
    }
    const [, h, w] = x!.shape;
    if (!h || !w) throw ctx.unsupported(layer, `needs a fixed input size, got [${x!.shape.join(', ')}]`);
    const pool = pair(c.poolSize, 2);
    const strides = c.strides == null ? pool : pair(c.strides, pool[0]);
    const pads = padsFor({ padding: String(c.padding ?? 'valid'), size: [h, w], kernel: pool, strides });
    const op = kind === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
    const out = ctx.b.op(op, [input], { name: layer.name, attrs: [attr.ints('kernel_shape', pool), attr.ints('strides', strides), attr.ints('pads', pads)] });
    return { name: out, shape: outputShape(layer), nchw: true };
  },
};
