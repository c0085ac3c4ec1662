import type { ChannelRule } from '../types.js';
import { batchNormRule } from './batchnorm.js';
import { convRule } from './conv.js';
import { denseRule } from './dense.js';
import { depthwiseRule } from './depthwise.js';
import { flattenRule } from './flatten.js';
import { inputRule } from './input.js';
import { concatenateRule, elementwiseRule } from './merge.js';
import { channelMixingRule, passThroughRule } from './passthrough.js';
import { reshapeRule } from './reshape.js';
import { separableRule } from './separable.js';

/** Every layer class the dependency graph can see through. A class not listed here is left whole, with a warning. */
export const CHANNEL_RULES: ChannelRule[] = [
  inputRule, denseRule, convRule, depthwiseRule, separableRule, batchNormRule,
  passThroughRule, channelMixingRule, flattenRule, reshapeRule, elementwiseRule, concatenateRule,
];

export { opaque } from './util.js';
