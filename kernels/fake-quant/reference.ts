import { fakeQuantize } from '../../src/core/numerics.js';

/** dequantize(quantize(x)) per tensor (one scale) or per channel of the last axis: src/core/numerics.ts itself. */
export function fakeQuantRef(r: { x: ArrayLike<number>; scale: ArrayLike<number>; zeroPoint: ArrayLike<number>;
  qmin: number; qmax: number }): Float32Array {
  const params = Array.from(r.scale, (scale, i) => ({ scale: Math.fround(scale), zeroPoint: r.zeroPoint[i]! }));
  return fakeQuantize(r.x, { params: params.length === 1 ? params[0]! : params, range: { qmin: r.qmin, qmax: r.qmax } });
}
