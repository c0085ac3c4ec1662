import type { KernelFunc, MaxPoolGradAttrs, TensorInfo } from '@tensorflow/tfjs';
import { MaxPoolGrad } from '@tensorflow/tfjs';
import { kernelsFor, ptr, type WasmBackendLike } from '../wasm/loader.js';
import type { KernelArgs, KernelSpec } from '../types.js';
import { poolGeometry } from './geometry.js';

/** Zero-copy: reads input and dy, writes dx in the backend's heap. */
const kernelFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const a = attrs as unknown as MaxPoolGradAttrs;
  const b = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
  const g = poolGeometry({ xShape: input.shape, filterSize: a.filterSize, strides: a.strides, pad: a.pad as 'same',
    dimRoundingMode: a.dimRoundingMode });
  const out = b.makeOutput(input.shape, 'float32');
  kernelsFor(b).maxPoolGrad(ptr(b, input), ptr(b, dy), ptr(b, out), g.B, g.H, g.W, g.C, g.OH, g.OW, g.FH, g.FW,
    g.sh, g.sw, g.dh, g.dw, g.pt, g.pl);
  return out;
}) as unknown as KernelFunc;

/** Replaces tfjs-backend-wasm 4.22's MaxPoolGrad, which drops gradients (e.g. [1, 4, 4, 4] input, 2×2 pool). */
export const maxPoolGradWasm: KernelSpec = { kernelName: MaxPoolGrad, backendName: 'wasm', kernelFunc };
