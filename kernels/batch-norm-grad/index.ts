import * as tf from '@tensorflow/tfjs';
import { backend_util, FusedBatchNorm } from '@tensorflow/tfjs';
import type { GradientSpec } from '../types.js';
import { FusedBatchNormGrad } from './kernels.js';

/** Whether the one-kernel gradient applies: wasm, float32, per-channel statistics on the last axis. */
function fusable(x: tf.Tensor, params: Array<tf.Tensor | undefined>): boolean {
  if (tf.getBackend() !== 'wasm' || x.dtype !== 'float32' || !tf.getKernel(FusedBatchNormGrad, 'wasm')) return false;
  const C = x.shape[x.rank - 1]!;
  return params.every((p) => !p || (p.size === C && p.shape[p.rank - 1] === C));
}

/**
 * The gradient of FusedBatchNorm, as tfjs-core 4.22 defines it, minus one waste: tfjs tiles 1/sqrt(var + eps) to
 * the full [B, H, W, C] shape before multiplying (a third of a LeNet-5 training step on wasm went to Tile); here it
 * broadcasts, which computes the same products. Intermediates are computed only by the gradients that use them.
 * Registered for all backends (tfjs gradients are per kernel name). On wasm it is one kernel instead
 * (FusedBatchNormGrad: dx and the four parameter gradients in two passes, reference.ts); the cpu backend keeps the
 * composite, so training on cpu stays an independent check of it.
 */
export const fusedBatchNormGradient: GradientSpec = {
  kernelName: FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dyIn, saved, attrs) => {
    const dy = dyIn as tf.Tensor;
    const { varianceEpsilon } = attrs as unknown as { varianceEpsilon: number };
    const [x, mean, variance, scale] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor | undefined];
    if (fusable(x, [mean, variance, scale])) {
      // One kernel, two passes over x and dy (issue 18.4), run now: the engine calls each closure in its own tidy.
      const C = x.shape[x.rank - 1]!;
      const flat = (t: tf.Tensor) => tf.reshape(t, [C]);
      const [dx, dmean, dvariance, dscale, doffset] = tf.engine().runKernel(FusedBatchNormGrad,
        { x, dy, mean: flat(mean), variance: flat(variance), ...(scale ? { scale: flat(scale) } : {}) },
        { varianceEpsilon } as unknown as tf.NamedAttrMap) as tf.Tensor[];
      return {
        x: () => tf.reshape(dx!, x.shape),
        mean: () => tf.reshape(dmean!, mean.shape),
        variance: () => tf.reshape(dvariance!, mean.shape),
        scale: () => tf.reshape(dscale!, mean.shape),
        offset: () => tf.reshape(doffset!, mean.shape),
      };
    }
    const scaleValue = scale ?? tf.scalar(1);
    const axes = backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: tf.Tensor) => tf.reshape(mean.rank === 1 ? tf.sum(t, axes) : t, mean.shape);
    const rsqrt = () => tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const dyTimesScale = () => tf.mul(dy, scaleValue);
    return {
      x: () => tf.reshape(tf.mul(tf.mul(dy, rsqrt()), scaleValue), x.shape),
      mean: () => reduce(tf.mul(tf.mul(rsqrt(), tf.scalar(-1)), dyTimesScale())),
      variance: () => {
        const r = rsqrt();
        const minusHalfRCube = tf.mul(tf.mul(tf.mul(r, r), r), tf.scalar(-0.5));
        return reduce(tf.mul(tf.mul(minusHalfRCube, tf.sub(x, mean)), dyTimesScale()));
      },
      scale: () => reduce(tf.mul(dy, tf.mul(tf.sub(x, mean), rsqrt()))),
      offset: () => reduce(dy),
    };
  },
};

export { FusedBatchNormGrad, batchNormGradCpu, batchNormGradWasm } from './kernels.js';
export { batchNormGradRef } from './reference.js';
