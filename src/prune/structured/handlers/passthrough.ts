import type { CutHandler } from './types.js';

/**
 * Layers whose channel count follows their input: nothing in the config to change. Their per-channel weights
 * (BatchNormalization γ/β/mean/variance, a depthwise kernel and bias) are sliced by the generic cutter.
 */
export const batchNormHandler: CutHandler = { classNames: ['BatchNormalization'] };
export const depthwiseHandler: CutHandler = { classNames: ['DepthwiseConv2D'] };
export const flattenHandler: CutHandler = { classNames: ['Flatten'] };
export const mergeHandler: CutHandler = {
  classNames: ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'],
};
export const passThroughHandler: CutHandler = {
  classNames: [
    'InputLayer', 'Activation', 'ReLU', 'ELU', 'LeakyReLU', 'ThresholdedReLU', 'Softmax', 'LayerNormalization',
    'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
    'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
    'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D',
    'ZeroPadding2D', 'Cropping2D', 'UpSampling2D',
  ],
};

/** Reshape that keeps the channel axis last: its target shape states the channel count. */
export const reshapeHandler: CutHandler = {
  classNames: ['Reshape'],
  resize: (config, channels) => {
    const key = 'target_shape' in config ? 'target_shape' : 'targetShape';
    const target = config[key] as number[];
    config[key] = [...target.slice(0, -1), channels];
  },
};
