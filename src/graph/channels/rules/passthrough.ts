import type { ChannelRule } from '../types.js';

/**
 * Layers that act on each channel independently (or not at all at inference): the output has the input's channels.
 * Pooling and padding change spatial size only; global pooling drops the spatial axes but keeps the channels.
 */
export const passThroughRule: ChannelRule = {
  classNames: [
    'Activation', 'ReLU', 'ELU', 'LeakyReLU', 'ThresholdedReLU',
    'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
    'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
    'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D',
    'ZeroPadding2D', 'Cropping2D', 'UpSampling2D',
  ],
  flow: (ctx) => {
    const input = ctx.inputs[0];
    if (ctx.node.config.activation === 'softmax') ctx.pin(input, `${ctx.node.name}: softmax activation`);
    if (ctx.node.config.dataFormat === 'channelsFirst') ctx.pin(input, `${ctx.node.name}: channels_first data format`);
    return input;
  },
};

/** Softmax (and LayerNormalization) mix every channel into every other: shape is kept, channels are not cut. */
export const channelMixingRule: ChannelRule = {
  classNames: ['Softmax', 'LayerNormalization'],
  flow: (ctx) => {
    ctx.pin(ctx.inputs[0], `${ctx.node.name}: ${ctx.node.className} mixes channels`);
    return ctx.inputs[0];
  },
};
