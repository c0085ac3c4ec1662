import type { LayerConverter } from '../context.js';
import { activationLayers } from './activation.js';
import { batchNormLayer } from './batchnorm.js';
import { convLayers } from './conv.js';
import { denseLayer } from './dense.js';
import { identityLayers } from './identity.js';
import { mergeLayers } from './merge.js';
import { poolingLayers } from './pooling.js';
import { reshapeLayers } from './reshape.js';

/** Every tfjs layer class the ONNX exporter handles. Add one = one file + one line. */
export const LAYER_CONVERTERS: readonly LayerConverter[] = [
  denseLayer,
  convLayers,
  batchNormLayer,
  poolingLayers,
  reshapeLayers,
  mergeLayers,
  activationLayers,
  identityLayers,
];

export const SUPPORTED_LAYER_CLASSES: readonly string[] = LAYER_CONVERTERS.flatMap((c) => c.classNames);

export function findLayerConverter(className: string): LayerConverter | undefined {
  return LAYER_CONVERTERS.find((c) => c.classNames.includes(className));
}
