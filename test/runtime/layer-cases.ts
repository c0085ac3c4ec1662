import * as tf from '@tensorflow/tfjs';
import { affineParams, qRange, quantize, type QParams } from '../../src/core/numerics.js';
import { channelParams, packKernelRows, quantizeWeight } from '../../src/quantize/weights.js';
import { QuantizedConv2D, QuantizedDense } from '../../src/runtime/index.js';
import { gaussian } from '../quantize/helpers.js';

/** Seeded int8 layers and an integer reference written out from docs/numerics.md, for every backend's test. */
const f32 = Math.fround;
const A = qRange();

export interface Case { layer: 'dense' | 'conv'; mode: 'dynamic' | 'static'; backend: 'cpu' | 'wasm' }

/** A seeded int8 layer (per-channel weights) plus the input and the float arrays the reference needs. */
export function setup(c: Pick<Case, 'layer' | 'mode'>) {
  const dense = c.layer === 'dense';
  const [kh, kw, ci, co] = [3, 3, 5, 7];
  const kernelShape = dense ? [13, 6] : [kh, kw, ci, co];
  const inputShape = dense ? [4, 13] : [2, 6, 5, ci];
  const n = kernelShape.at(-1)!;
  const kernel = gaussian(kernelShape.reduce((a, b) => a * b), 21, 0.3);
  const bias = gaussian(n, 22, 0.1);
  const x = gaussian(inputShape.reduce((a, b) => a * b), 23);
  const w = quantizeWeight({ values: kernel, shape: kernelShape, config: { bits: 8, perChannel: true, symmetric: true, narrowRange: true } });
  const { scales } = channelParams(w);
  const quant = c.mode === 'static' ? { ...affineParams({ min: -1.5, max: 2, range: A }), min: -1.5, max: 2 } : null;
  const common = { mode: c.mode, inputQuant: quant, activation: 'relu', name: `q_${c.layer}_${c.mode}` };
  const layer = dense
    ? new QuantizedDense({ ...common, units: n, inputDim: 13 })
    : new QuantizedConv2D({ ...common, filters: co, kernelSize: [kh, kw], strides: [2, 1], padding: 'same', inputChannels: ci });
  const xt = tf.tensor(x, inputShape);
  layer.apply(xt); // builds the weights
  const packed = tf.tensor2d(packKernelRows(w.q, n), [n, Math.ceil(kernel.length / n / 4)], 'int32');
  const sc = tf.tensor1d(scales);
  const bt = tf.tensor1d(bias);
  layer.setWeights([packed, sc, bt]);
  tf.dispose([packed, sc, bt]);
  return { layer, xt, x, q: w.q, scales, bias, quant, kernelShape, inputShape };
}

/** The integer reference written out from docs/numerics.md, independent of the kernels' own references. */
export function reference(s: ReturnType<typeof setup>, dense: boolean): Float32Array {
  let min = 0, max = 0;
  for (const v of s.x) { min = Math.min(min, v); max = Math.max(max, v); }
  const p: QParams = s.quant ?? affineParams({ min, max, range: A });
  const xq = quantize(s.x, { params: p, range: A });
  const out = (acc: number, c: number) => Math.max(0, f32(f32(f32(acc) * f32(f32(p.scale) * s.scales[c]!)) + s.bias[c]!));
  if (dense) {
    const [k, n] = s.kernelShape as [number, number];
    const m = s.x.length / k;
    return Float32Array.from({ length: m * n }, (_, i) => {
      const [r, c] = [Math.floor(i / n), i % n];
      let acc = 0;
      for (let j = 0; j < k; j++) acc += (xq[r * k + j]! - p.zeroPoint) * s.q[j * n + c]!;
      return out(acc, c);
    });
  }
  const [kh, kw, ci, co] = s.kernelShape as [number, number, number, number];
  const [b, h, w] = s.inputShape as [number, number, number];
  const [sh, sw] = [2, 1];
  const [oh, ow] = [Math.ceil(h / sh), Math.ceil(w / sw)];
  const pt = Math.floor(Math.max((oh - 1) * sh + kh - h, 0) / 2);
  const pl = Math.floor(Math.max((ow - 1) * sw + kw - w, 0) / 2);
  const y = new Float32Array(b * oh * ow * co);
  for (let bi = 0; bi < b; bi++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let c = 0; c < co; c++) {
    let acc = 0;
    for (let fh = 0; fh < kh; fh++) for (let fw = 0; fw < kw; fw++) {
      const [ih, iw] = [i * sh - pt + fh, j * sw - pl + fw];
      if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
      for (let cc = 0; cc < ci; cc++) {
        acc += (xq[((bi * h + ih) * w + iw) * ci + cc]! - p.zeroPoint) * s.q[((fh * kw + fw) * ci + cc) * co + c]!;
      }
    }
    y[((bi * oh + i) * ow + j) * co + c] = out(acc, c);
  }
  return y;
}

