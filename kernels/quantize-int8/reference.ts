import { packInt8, quantizeValue } from '../../src/core/numerics.js';
import { quantizeGeometry } from './geometry.js';

/** quantizeValue (src/core/numerics.ts) per element, the row's params, then packInt8 along K. */
export function quantizeInt8Ref(r: { x: ArrayLike<number>; shape: number[]; scale: ArrayLike<number>;
  zeroPoint: ArrayLike<number>; qmin: number; qmax: number; transpose: boolean }): Int32Array {
  const { rows, k } = quantizeGeometry(r.shape, r.transpose);
  const codes = new Int32Array(rows * k);
  for (let row = 0; row < rows; row++) {
    const c = r.scale.length === 1 ? 0 : row;
    const p = { scale: Math.fround(r.scale[c]!), zeroPoint: r.zeroPoint[c]! };
    for (let i = 0; i < k; i++) {
      const v = r.transpose ? r.x[i * rows + row]! : r.x[row * k + i]!;
      codes[row * k + i] = quantizeValue(v, p, { qmin: r.qmin, qmax: r.qmax });
    }
  }
  return packInt8(codes, { rowLength: k });
}
