import type { GraphNode } from '../types.js';

/**
 * A channel space is one set of channels that must be cut together, e.g. the filters of a Conv2D. Spaces
 * joined by an Add are merged (union-find) into one group.
 */
export interface Segment {
  space: number;
  size: number;
}

/**
 * How the last axis of a tensor is made of channel spaces: the concatenation of `segments`, repeated
 * `repeat` times (a channels-last Flatten of H×W×C repeats the C channels H·W times: index = r·C + c).
 */
export interface Layout {
  segments: Segment[];
  repeat: number;
}

/**
 * What a weight axis follows. `out`: the layer creates these channels (a Conv2D's filters, ranked by importance);
 * `in`: the layer reads them (the next layer's input channels); `channel`: per-channel parameters of a layer
 * that passes channels through (BatchNormalization γ/β, a depthwise kernel).
 */
export type BindingKind = 'out' | 'in' | 'channel';

export interface Binding {
  layer: string;
  /** Weight role within the layer (`kernel`, `bias`, `gamma`, ...). */
  role: string;
  axis: number;
  kind: BindingKind;
  layout: Layout;
}

export interface FlowContext {
  node: GraphNode;
  /** Layouts of the node's inputs, in call order. */
  inputs: Layout[];
  /** Rank of the node's output tensor, batch included. */
  outputRank: number;
  /** Last dimension of the node's output (channels), or null when unknown. */
  outputChannels: number | null;
  /** A fresh channel space of `size` channels; `pinned` gives the reason it must never be cut. */
  newSpace(size: number, pinned?: string): Layout;
  /** Force two layouts to share channels (Add). Returns false, pinning both, if their structures differ. */
  unify(a: Layout, b: Layout, reason: string): boolean;
  pin(layout: Layout, reason: string): void;
  bind(role: string, axis: number, kind: BindingKind, layout: Layout): void;
  warn(message: string): void;
}

/**
 * How channels flow through one layer class: returns the output's layout and records, through `bind`, which
 * weight axes follow which channels. One file per rule, listed in ./rules/index.ts.
 */
export interface ChannelRule {
  classNames: string[];
  flow(ctx: FlowContext): Layout;
}
