import { packInt8 } from '../../src/core/numerics.js';
import { convGeometry } from '../conv-geometry.js';
import { poolGeometry } from '../max-pool-grad/geometry.js';
import { randomFloat, randomInt, seeded } from '../testing-data.js';
import type { KernelCase, KernelSuite, TensorData } from '../types.js';
import {
  AddInt8, AvgPoolInt8, type AddInt8Attrs, DepthwiseConv2DInt8, FusedConv2DInt8, FusedMatMulInt8, MaxPoolInt8,
  type FusedConv2DInt8Attrs, type FusedMatMulInt8Attrs, type Int8Epilogue, type PoolInt8Attrs,
} from './index.js';
import { addInt8Ref, convAccRef, epilogueRef, matMulAccRef, poolInt8Ref } from './reference.js';

const int32 = (shape: number[], values: Int32Array): TensorData => ({ shape, dtype: 'int32', values });
const attrs = (a: object) => a as unknown as KernelCase['attrs'];

/**
 * Epilogues: float out with ReLU, int8 out linear / ReLU / ReLU6, an output scale small enough that many values
 * clamp at -128 / 127, and one where ReLU6's 6 is inside the int8 range. The GEMM shapes cover the register-block tails (4×2, 1×4, K tails of 0..7).
 */
const EPILOGUES: Array<[string, Int8Epilogue]> = [
  ['float relu', { activation: 'relu' }],
  ['int8 linear', { activation: 'linear', outScale: 0.05, outZeroPoint: -3 }],
  ['int8 relu', { activation: 'relu', outScale: 0.031, outZeroPoint: -128 }],
  ['int8 relu6 clamping', { activation: 'relu6', outScale: 0.011, outZeroPoint: -100 }],
  // 6 / 0.05 = 120 < 127 - zOut: the ReLU6 bound, not the int8 range, caps the codes.
  ['int8 relu6 within range', { activation: 'relu6', outScale: 0.05, outZeroPoint: -128 }],
];

function scales(n: number, rand: () => number, size = 0.05, name = ''): TensorData {
  const s = randomFloat([n], rand, size);
  s.values = s.values.map((v) => Math.abs(v) + 1e-4);
  // An infinite scale (a corrupt or overflowed weight scale): ±∞ and, where the accumulator is 0, NaN reach the
  // epilogue, which must then take its NaN-masking path (the kernels skip it when every scale and bias is finite).
  if (name.includes('infinite scale')) s.values[name.includes('late') ? 10 : 1] = Infinity;
  // Finite but huge scales, doubling channel to channel, so that some y / outScale land in every range the epilogue's
  // rounding-by-addition must bound (beyond ±2^22, around -1.5·2^23, ±∞ for 1e30).
  if (name.includes('huge scale')) { for (let c = 0; c < 8; c++) s.values[c] = 200 * 2 ** c; s.values[10] = 1e30; }
  return s;
}

/** Weights [rows, cols] with output channel 1 all 0 in the infinite-scale cases (acc 0 times ∞: NaN, code zOut). */
function weights(rows: number, cols: number, rand: () => number, name: string, channelAxis: 0 | 1): Int32Array {
  const w = randomInt([rows, cols], rand, -127, 127);
  if (name.includes('infinite scale')) {
    for (let i = 0; i < (channelAxis === 0 ? cols : rows); i++) w[channelAxis === 0 ? cols + i : i * cols + 1] = 0;
  }
  return w;
}

const outData = (lead: number[], n: number, e: Int8Epilogue, values: Float32Array | Int32Array): TensorData =>
  e.outScale === undefined ? { shape: [...lead, n], dtype: 'float32', values }
    : { shape: [...lead, Math.ceil(n / 4)], dtype: 'int32', values };

/** [name, M, N, K, aZeroPoint, weight zero points]. */
const GEMMS: Array<[string, number, number, number, number, boolean]> = [
  ['batch 1, n 10, k 84', 1, 10, 84, -5, false],
  ['4x2 blocks with tails m 7 n 7 k 33', 7, 7, 33, 12, true],
  ['lenet-300 fc1 m 5 n 30 k 784', 5, 30, 784, -128, false],
  ['infinite scale, m 3 n 6 k 9', 3, 6, 9, 0, false],
  ['huge scale, m 8 n 17 k 9', 8, 17, 9, 3, false],
];

export const fusedMatMulInt8Suite: KernelSuite = {
  kernelName: FusedMatMulInt8,
  tolerance: 0,
  cases: () => GEMMS.flatMap(([name, m, n, k, aZeroPoint, withZw], i) => EPILOGUES.map(([ename, e], j): KernelCase => {
    const rand = seeded(1800 + 10 * i + j);
    const inputs: KernelCase['inputs'] = {
      a: int32([m, Math.ceil(k / 4)], packInt8(randomInt([m, k], rand, -128, 127), { rowLength: k })),
      w: int32([n, Math.ceil(k / 4)], packInt8(weights(n, k, rand, name, 0), { rowLength: k })),
      wScale: scales(n, rand, 0.002, name), bias: randomFloat([n], rand),
    };
    if (withZw) inputs.wZeroPoint = int32([n], randomInt([n], rand, -3, 3));
    return { name: `${name}, ${ename}`, inputs, attrs: attrs({ k, aScale: 0.0173, aZeroPoint, ...e }) };
  })),
  reference: (c) => {
    const { a, w, wScale, bias, wZeroPoint } = c.inputs;
    const at = c.attrs as unknown as FusedMatMulInt8Attrs;
    const m = a!.shape[0]!, n = w!.shape[0]!;
    const acc = matMulAccRef({ a: a!.values, w: w!.values, m, n, k: at.k, aZeroPoint: at.aZeroPoint, wZeroPoint: wZeroPoint?.values });
    return outData([m], n, at, epilogueRef({ acc, rows: m, n, aScale: at.aScale, wScale: wScale!.values, bias: bias?.values, e: at }));
  },
};

/** [name, xShape (C true), filterShape, strides, pad, aZeroPoint]. */
type ConvShape = [string, number[], [number, number, number, number], number, 'same' | 'valid', number];

function convSuite(kernelName: string, depthwise: boolean, shapes: ConvShape[], seed: number): KernelSuite {
  return {
    kernelName,
    tolerance: 0,
    cases: () => shapes.flatMap(([name, xShape, filterShape, strides, pad, aZeroPoint], i) => EPILOGUES.map(([ename, e], j): KernelCase => {
      const rand = seeded(seed + 10 * i + j);
      const [fh, fw, ci, cm] = filterShape;
      const co = depthwise ? ci * cm : cm;
      const pixels = xShape[0]! * xShape[1]! * xShape[2]!;
      const w = depthwise
        ? int32([fh * fw, Math.ceil(co / 4)], packInt8(weights(fh * fw, co, rand, name, 1), { rowLength: co }))
        : int32([co, Math.ceil((fh * fw * ci) / 4)], packInt8(weights(co, fh * fw * ci, rand, name, 0), { rowLength: fh * fw * ci }));
      return {
        name: `${name}, ${ename}`,
        inputs: {
          x: int32([...xShape.slice(0, 3), Math.ceil(ci / 4)], packInt8(randomInt([pixels, ci], rand, -128, 127), { rowLength: ci })),
          w, wScale: scales(co, rand, depthwise ? 0.01 : 0.002, name), bias: randomFloat([co], rand),
        },
        attrs: attrs({ filterShape, strides, pad, aScale: 0.021, aZeroPoint, ...e }),
      };
    })),
    reference: (c) => {
      const at = c.attrs as unknown as FusedConv2DInt8Attrs;
      const xs = c.inputs.x!.shape;
      const g = convGeometry({ op: 'cases', xShape: [xs[0]!, xs[1]!, xs[2]!, at.filterShape[2]], filterShape: at.filterShape,
        strides: at.strides, pad: at.pad, depthwise });
      const acc = convAccRef({ x: c.inputs.x!.values, w: c.inputs.w!.values, g, aZeroPoint: at.aZeroPoint, depthwise });
      return outData([g.B, g.OH, g.OW], g.Co, at, epilogueRef({ acc, rows: g.B * g.OH * g.OW, n: g.Co, aScale: at.aScale,
        wScale: c.inputs.wScale!.values, bias: c.inputs.bias?.values, e: at }));
    },
  };
}

export const fusedConv2dInt8Suite = convSuite(FusedConv2DInt8, false, [
  ['lenet conv1 same', [2, 8, 8, 1], [5, 5, 1, 6], 1, 'same', -20],
  ['lenet conv2 valid', [1, 10, 10, 6], [5, 5, 6, 16], 1, 'valid', 5],
  ['stride 2 same, co 7', [2, 7, 9, 5], [3, 3, 5, 7], 2, 'same', -128],
  // The direct conv's paths: Cin > 8 (several vectors a pixel), odd segments, Cout tails of the 8-channel block,
  // pixel tails of the 4-pixel block, a 1x1 pointwise conv.
  ['cin 11 3x3 same, co 20, ow 7', [1, 5, 7, 11], [3, 3, 11, 20], 1, 'same', 3],
  ['1x1 pointwise, cin 16, co 12', [3, 2, 5, 16], [1, 1, 16, 12], 1, 'valid', -1],
  ['cin 2 7x7 stride 2 same, co 3', [1, 9, 6, 2], [7, 7, 2, 3], 2, 'same', 100],
  ['infinite scale, 1x1, cin 8, co 6', [1, 3, 3, 8], [1, 1, 8, 6], 1, 'valid', 0],
  // The tile epilogue (int8-conv.ts): whole 8-channel groups requantized from registers, pixel tails of the 4-pixel
  // block (ow 7, 2 images), a stride-2 1x1 with channels not a multiple of 8, and a non-finite term in the second
  // group (the first group tiles, the rest takes the accumulators).
  ['1x1 pointwise, cin 24, co 48, ow 7', [2, 3, 7, 24], [1, 1, 24, 48], 1, 'valid', -128],
  ['1x1 stride 2 same, cin 13, co 44', [1, 7, 9, 13], [1, 1, 13, 44], 2, 'same', 9],
  ['infinite scale late, 1x1, cin 10, co 24', [1, 3, 5, 10], [1, 1, 10, 24], 1, 'valid', -4],
  // Passes of 64 pixels (ROWS): 90 an image (a pass, then 26: a 2-pixel block tail), 2 images of a 1x1; a 3x3
  // stride 2 with rows of 9 pixels, so that the first pass ends inside a row.
  ['1x1 pointwise, 2 passes an image, cin 24, co 40', [2, 9, 10, 24], [1, 1, 24, 40], 1, 'valid', -128],
  ['3x3 stride 2 same, 2 passes, cin 3, co 16', [1, 19, 18, 3], [3, 3, 3, 16], 2, 'same', -7],
], 1900);

export const depthwiseConv2dInt8Suite = convSuite(DepthwiseConv2DInt8, true, [
  ['3x3 same, c 19 (a whole 16-channel block, then 3)', [2, 6, 5, 19], [3, 3, 19, 1], 1, 'same', 7],
  ['3x3 stride 2 same, c 32', [1, 9, 9, 32], [3, 3, 32, 1], 2, 'same', -128],
  ['multiplier 2 valid', [1, 5, 6, 3], [3, 2, 3, 2], 1, 'valid', -9],
  // The M = 1 vector path: channel blocks of 16 ending 4 / 8 / 12 bytes into the pixel (c 36, 24, 44), a block
  // with no whole word of pad (c 6), 5x5 valid, and a stride that skips the frame's last row (even H, stride 2).
  ['5x5 valid, c 36', [1, 7, 6, 36], [5, 5, 36, 1], 1, 'valid', -60],
  ['3x3 stride 2 same, even h, c 24', [2, 8, 6, 24], [3, 3, 24, 1], 2, 'same', 20],
  ['3x3 same, c 44, batch 3', [3, 4, 3, 44], [3, 3, 44, 1], 1, 'same', -1],
  ['2x2 stride 2 valid, c 6', [1, 5, 5, 6], [2, 2, 6, 1], 2, 'valid', 127],
  ['infinite scale, 3x3 same, c 20', [1, 4, 4, 20], [3, 3, 20, 1], 1, 'same', 0],
  // Output rows wider than one pass of 64 pixels (ROWS in kernels/wasm/assembly/int8.ts), 3x3 and another filter.
  ['3x3 same, ow 70 (two passes), c 8', [1, 3, 70, 8], [3, 3, 8, 1], 1, 'same', -5],
  ['1x3 stride 2 valid, ow 66, c 16', [1, 2, 133, 16], [1, 3, 16, 1], 2, 'valid', 33],
  // 3x3 at stride 1 or 2 carries each row's pairs from pixel to pixel (stride 1 pairs the taps differently); stride 3
  // takes the general loop.
  ['3x3 stride 3 same, c 12', [1, 8, 10, 12], [3, 3, 12, 1], 3, 'same', -30],
  ['3x3 same, odd w 9, c 40, batch 2', [2, 5, 9, 40], [3, 3, 40, 1], 1, 'same', 64],
], 2000);

/** [name, xShape (packed words), filterSize, strides, pad]. */
const POOLS: Array<[string, number[], [number, number], [number, number], 'same' | 'valid']> = [
  ['lenet 2x2/2 valid, 8 bytes a pixel', [2, 6, 6, 2], [2, 2], [2, 2], 'valid'],
  ['3x3/2 same, 20 bytes (16-lane block + tail)', [1, 7, 5, 5], [3, 3], [2, 2], 'same'],
  ['3x3/1 same, global-ish', [2, 3, 3, 1], [3, 3], [1, 1], 'same'],
  ['7x7/1 valid global (MobileNetV2 head), 160 words', [2, 7, 7, 160], [7, 7], [1, 1], 'valid'],
  ['17x17/1 valid (289 taps: average summed code by code), 16 bytes', [1, 17, 17, 4], [17, 17], [1, 1], 'valid'],
];

function poolSuite(kernelName: string, max: boolean, seed: number): KernelSuite {
  return {
    kernelName,
    tolerance: 0,
    cases: () => POOLS.map(([name, xShape, filterSize, strides, pad], i): KernelCase => {
      const rand = seeded(seed + i);
      const n = xShape.reduce((a, b) => a * b, 1);
      return { name, inputs: { x: int32(xShape, packInt8(randomInt([n * 4], rand, -128, 127))) },
        attrs: attrs({ filterSize, strides, pad } satisfies PoolInt8Attrs) };
    }),
    reference: (c) => {
      const at = c.attrs as unknown as PoolInt8Attrs;
      const g = poolGeometry({ xShape: c.inputs.x!.shape, filterSize: at.filterSize, strides: at.strides, pad: at.pad });
      return int32([g.B, g.OH, g.OW, g.C], poolInt8Ref({ x: c.inputs.x!.values, g, max }));
    },
  };
}

export const maxPoolInt8Suite = poolSuite(MaxPoolInt8, true, 2100);
export const avgPoolInt8Suite = poolSuite(AvgPoolInt8, false, 2200);

/** [name, shape with the true channel count last]: rows without pad bytes (one flat run, 16-code tail), with pads. */
const ADDS: Array<[string, number[]]> = [
  ['mobilenet residual, c 24 (no pad bytes)', [2, 3, 5, 24]],
  ['c 19 (pad bytes, a 16-code block and a tail)', [3, 2, 19]],
  ['c 6, 7 rows', [7, 6]],
];

export const addInt8Suite: KernelSuite = {
  kernelName: AddInt8,
  tolerance: 0,
  cases: () => ADDS.flatMap(([name, shape], i) => EPILOGUES.map(([ename, e], j): KernelCase => {
    const rand = seeded(2300 + 10 * i + j);
    const c = shape[shape.length - 1]!;
    const rows = shape.reduce((p, d) => p * d, 1) / c;
    const packedShape = [...shape.slice(0, -1), Math.ceil(c / 4)];
    const codes = () => int32(packedShape, packInt8(randomInt([rows, c], rand, -128, 127), { rowLength: c }));
    // Input grids near the output's, so that values land inside, on and past the clamps.
    return { name: `${name}, ${ename}`, inputs: { a: codes(), b: codes() },
      attrs: attrs({ channels: c, aScale: 0.043, aZeroPoint: -7, bScale: 0.029, bZeroPoint: 12, ...e } satisfies AddInt8Attrs) };
  })),
  reference: (c) => {
    const at = c.attrs as unknown as AddInt8Attrs;
    const shape = c.inputs.a!.shape;
    return outData(shape.slice(0, -1), at.channels, at, addInt8Ref({ a: c.inputs.a!.values, b: c.inputs.b!.values, at }));
  },
};
