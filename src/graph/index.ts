export { buildGraph } from './build.js';
export type { GraphNode, GraphWeight, ModelGraph, Shape } from './types.js';
export { buildDependencyGraph } from './dependency.js';
export type { ChannelGroup, DependencyGraph } from './dependency.js';
export type { Binding, BindingKind, ChannelRule, FlowContext, Layout, Segment } from './channels/types.js';
export { CHANNEL_RULES } from './channels/rules/index.js';
export { keptIndices, layoutWidth } from './channels/layout.js';
export { countFlops } from './flops.js';
export type { FlopsReport, LayerFlops } from './flops.js';
