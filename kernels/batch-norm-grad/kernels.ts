import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { KernelArgs, KernelSpec } from '../types.js';
import { kernelsFor, ptr, withScratch, type WasmBackendLike } from '../wasm/loader.js';
import { hostOutput, type HostBackend } from '../webgpu/host.js';
import { batchNormGradRef } from './reference.js';

/**
 * FusedBatchNormGrad: inputs x, dy (same shape, channel last), mean, variance, scale? ([C]); attr varianceEpsilon.
 * Outputs [dx, dmean, dvariance, dscale, doffset] (the last four [C]).
 */
export const FusedBatchNormGrad = 'FusedBatchNormGrad';

type Inputs = Record<string, TensorInfo | undefined>;

const cpuFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as HostBackend;
  const { x, dy, mean, variance, scale } = inputs as Inputs;
  const C = x!.shape[x!.shape.length - 1]!;
  const g = batchNormGradRef({ x: b.readSync(x!.dataId), dy: b.readSync(dy!.dataId), mean: b.readSync(mean!.dataId),
    variance: b.readSync(variance!.dataId), scale: scale && b.readSync(scale.dataId), C,
    eps: (attrs as { varianceEpsilon: number }).varianceEpsilon });
  return [hostOutput(b, x!.shape, 'float32', g.dx), ...[g.dmean, g.dvariance, g.dscale, g.doffset].map((v) => hostOutput(b, [C], 'float32', v))];
}) as unknown as KernelFunc;

/** wasm: two passes over x and dy (kernels/wasm/assembly/batchnorm.ts), zero-copy; 16·C bytes of scratch. */
const wasmFunc = (({ inputs, backend, attrs }: KernelArgs) => {
  const b = backend as unknown as WasmBackendLike & { makeOutput(s: number[], d: string): TensorInfo };
  const { x, dy, mean, variance, scale } = inputs as Inputs;
  const C = x!.shape[x!.shape.length - 1]!;
  const rows = x!.shape.reduce((p, v) => p * v, 1) / C;
  const outs = [b.makeOutput(x!.shape, 'float32'), ...[0, 1, 2, 3].map(() => b.makeOutput([C], 'float32'))];
  withScratch(b, [C * 16], (acc) => {
    kernelsFor(b).batchNormGrad(ptr(b, x!), ptr(b, dy!), rows, C, ptr(b, mean!), ptr(b, variance!), scale ? ptr(b, scale) : 0,
      (attrs as { varianceEpsilon: number }).varianceEpsilon, ...outs.map((o) => ptr(b, o)), acc!);
  });
  return outs;
}) as unknown as KernelFunc;

export const batchNormGradCpu: KernelSpec = { kernelName: FusedBatchNormGrad, backendName: 'cpu', kernelFunc: cpuFunc };
export const batchNormGradWasm: KernelSpec = { kernelName: FusedBatchNormGrad, backendName: 'wasm', kernelFunc: wasmFunc };
