import { attr } from '../../attrs.js';
import { config, outputShape, padsFor, pair, type LayerConverter } from '../context.js';
import { applyActivation } from './activation.js';

/**
 * Conv2D, DepthwiseConv2D and SeparableConv2D → ONNX Conv on NCHW data. tfjs kernels are [kh, kw, in, out]
 * (depthwise: [kh, kw, in, multiplier]); ONNX wants [out, in/group, kh, kw], with a depthwise output channel
 * c * multiplier + m, the same order tfjs uses.
 */
export const convLayers: LayerConverter = {
  classNames: ['Conv2D', 'DepthwiseConv2D', 'SeparableConv2D'],
  convert(ctx, layer, [x]) {
    const c = config(layer);
    if (c.dataFormat === 'channelsFirst') throw ctx.unsupported(layer, 'uses channelsFirst data; only channelsLast is exported');
    const input = ctx.channelsFirst(x!, layer);
    const [, h, w, channels] = x!.shape;
    if (!h || !w || !channels) throw ctx.unsupported(layer, `needs a fixed input size, got [${x!.shape.join(', ')}]`);
    const kernelSize = pair(c.kernelSize, 1);
    const strides = pair(c.strides, 1);
    const dilation = pair(c.dilationRate, 1);
    const pads = padsFor({ padding: String(c.padding ?? 'valid'), size: [h, w], kernel: kernelSize, strides, dilation });
    const attrs = [attr.ints('kernel_shape', kernelSize), attr.ints('strides', strides), attr.ints('dilations', dilation), attr.ints('pads', pads)];
    const bias = c.useBias === false ? undefined : ctx.weight(layer, 'bias');
    const biasName = bias && ctx.b.initializer(`${layer.name}_bias`, bias.shape, bias.values);
    const kind = layer.getClassName();
    let out: string;
    if (kind === 'Conv2D') {
      const k = ctx.requireWeight(layer, 'kernel');
      const weight = ctx.b.initializer(`${layer.name}_kernel`, ...toOnnxKernel(k, false));
      out = ctx.b.op('Conv', [input, weight, ...(biasName ? [biasName] : [])], { name: layer.name, attrs });
    } else {
      const dw = ctx.requireWeight(layer, 'depthwise_kernel');
      const dwName = ctx.b.initializer(`${layer.name}_depthwise_kernel`, ...toOnnxKernel(dw, true));
      const group = attr.int('group', channels);
      if (kind === 'DepthwiseConv2D') {
        out = ctx.b.op('Conv', [input, dwName, ...(biasName ? [biasName] : [])], { name: layer.name, attrs: [...attrs, group] });
      } else {
        const mid = ctx.b.op('Conv', [input, dwName], { name: `${layer.name}_depthwise`, attrs: [...attrs, group] });
        const pw = ctx.requireWeight(layer, 'pointwise_kernel');
        const pwName = ctx.b.initializer(`${layer.name}_pointwise_kernel`, ...toOnnxKernel(pw, false));
        out = ctx.b.op('Conv', [mid, pwName, ...(biasName ? [biasName] : [])], { name: layer.name, attrs: [attr.ints('kernel_shape', [1, 1])] });
      }
    }
    return applyActivation(ctx, layer, { name: out, shape: outputShape(layer), nchw: true }, c.activation);
  },
};

/** [kh, kw, in, out] → [out, in, kh, kw]; depthwise [kh, kw, in, mult] → [in * mult, 1, kh, kw]. */
function toOnnxKernel(k: { values: Float32Array; shape: number[] }, depthwise: boolean): [number[], Float32Array] {
  const [kh, kw, cin, cout] = k.shape as [number, number, number, number];
  const out = new Float32Array(k.values.length);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let ci = 0; ci < cin; ci++) {
        for (let co = 0; co < cout; co++) {
          const from = ((i * kw + j) * cin + ci) * cout + co;
          const to = depthwise ? ((ci * cout + co) * kh + i) * kw + j : ((co * cin + ci) * kh + i) * kw + j;
          out[to] = k.values[from]!;
        }
      }
    }
  }
  return [depthwise ? [cin * cout, 1, kh, kw] : [cout, cin, kh, kw], out];
}
