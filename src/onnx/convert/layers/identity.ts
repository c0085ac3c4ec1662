import type { LayerConverter } from '../context.js';

/** Layers that do nothing at inference time pass their input through without a node. */
export const identityLayers: LayerConverter = {
  classNames: ['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout'],
  convert: (_ctx, _layer, [x]) => x!,
};
