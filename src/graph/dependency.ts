import type * as tf from '@tensorflow/tfjs';
import { buildGraph } from './build.js';
import { layoutWidth, singleSpace } from './channels/layout.js';
import { CHANNEL_RULES, opaque } from './channels/rules/index.js';
import type { Binding, ChannelRule, FlowContext, Layout } from './channels/types.js';
import { SpaceSets } from './channels/union-find.js';
import type { GraphNode, ModelGraph } from './types.js';

/**
 * A coupled channel group: channels that exist in several layers but must be removed together, like the filters
 * of two Conv2Ds summed by an Add. Cutting channel c of a group rewrites every binding in it.
 */
export interface ChannelGroup {
  /** Stable name: the producing layers in model order, joined by '+' (recipes refer to groups by it). */
  key: string;
  size: number;
  /** Layers that create these channels (`out` bindings); their weights rank the channels. */
  producers: string[];
  /** Every layer with a weight axis that follows the group. */
  layers: string[];
  /** Why the group must stay whole (model input/output, softmax, a layer the graph does not know). Empty: cuttable. */
  pinned: string[];
  /** Union-find roots of the channel spaces merged into this group. */
  spaces: number[];
}

export interface DependencyGraph {
  graph: ModelGraph;
  /** Output layout of every node. */
  layouts: Map<string, Layout>;
  bindings: Binding[];
  groups: ChannelGroup[];
  /** The group a channel space belongs to. */
  groupOf(space: number): ChannelGroup;
  /** Union-find root of a space: spaces with the same root share their channel indices. */
  rootOf(space: number): number;
  warnings: string[];
}

const RULES = new Map<string, ChannelRule>(CHANNEL_RULES.flatMap((r) => r.classNames.map((c) => [c, r] as const)));

function lastDim(node: GraphNode): number | null {
  const d = node.outputShape[node.outputShape.length - 1];
  return typeof d === 'number' ? d : null;
}

/**
 * Trace channels through the model (in the spirit of Torch-Pruning's DepGraph): every Dense/Conv output is a
 * channel space, pass-through layers carry spaces on, Add/Multiply merge them, Concatenate lays them side by side
 * and Flatten repeats them. Spaces merged by union-find form the coupled groups.
 */
export function buildDependencyGraph(model: tf.LayersModel | ModelGraph): DependencyGraph {
  const graph = 'nodes' in model && 'byName' in model ? model : buildGraph(model as tf.LayersModel);
  const sets = new SpaceSets();
  const layouts = new Map<string, Layout>();
  const bindings: Binding[] = [];
  const warnings: string[] = [];
  const warn = (m: string): void => { if (!warnings.includes(m)) warnings.push(m); };
  const pin = (l: Layout, reason: string): void => { for (const s of l.segments) sets.pin(s.space, reason); };

  for (const node of graph.nodes) {
    const inputs = node.inputs.map((p) => layouts.get(p) as Layout);
    const ctx: FlowContext = {
      node, inputs,
      outputRank: node.outputShape.length,
      outputChannels: lastDim(node),
      newSpace: (size, pinned) => singleSpace(sets.add(size, pinned), size),
      unify: (a, b, reason) => {
        const same = a.repeat === b.repeat && a.segments.length === b.segments.length &&
          a.segments.every((s, i) => s.size === b.segments[i].size);
        if (!same) { pin(a, reason); pin(b, reason); warn(`${reason}; their channels are left unpruned`); return false; }
        a.segments.forEach((s, i) => sets.union(s.space, b.segments[i].space));
        return true;
      },
      pin,
      bind: (role, axis, kind, layout) => {
        if (node.weights.some((w) => w.role === role)) bindings.push({ layer: node.name, role, axis, kind, layout });
      },
      warn,
    };
    const rule = RULES.get(node.className);
    let out: Layout;
    if (node.shared || node.nested) {
      out = opaque(ctx, node.shared ? 'shared layer (called more than once)' : 'nested model');
    } else if (!rule) {
      out = opaque(ctx, `the dependency graph does not know layer class ${node.className}`);
    } else {
      out = rule.flow(ctx);
    }
    const width = ctx.outputChannels;
    if (width !== null && layoutWidth(out) !== width) {
      // A rule's picture disagrees with the real shape: never guess, keep everything around this layer.
      pin(out, `${node.name}: channel bookkeeping mismatch`);
      out = opaque(ctx, `channel count ${width} does not match the traced ${layoutWidth(out)}`);
    }
    layouts.set(node.name, out);
  }
  for (const name of graph.outputs) pin(layouts.get(name) as Layout, 'model output');

  return assembleGroups(graph, sets, layouts, bindings, warnings);
}

function assembleGroups(graph: ModelGraph, sets: SpaceSets, layouts: Map<string, Layout>, bindings: Binding[], warnings: string[]): DependencyGraph {
  const order = new Map(graph.nodes.map((n, i) => [n.name, i]));
  const byRoot = new Map<number, ChannelGroup>();
  for (let s = 0; s < sets.count; s++) {
    const root = sets.find(s);
    let g = byRoot.get(root);
    if (!g) {
      g = { key: '', size: sets.size(root), producers: [], layers: [], pinned: sets.pinned(root), spaces: [root] };
      byRoot.set(root, g);
    }
  }
  for (const b of bindings) {
    for (const seg of b.layout.segments) {
      const g = byRoot.get(sets.find(seg.space)) as ChannelGroup;
      if (!g.layers.includes(b.layer)) g.layers.push(b.layer);
      if (b.kind === 'out' && !g.producers.includes(b.layer)) g.producers.push(b.layer);
    }
  }
  const byOrder = (a: string, b: string): number => (order.get(a) ?? 0) - (order.get(b) ?? 0);
  const groups = [...byRoot.values()].filter((g) => g.layers.length > 0 || g.producers.length > 0);
  for (const g of groups) {
    g.producers.sort(byOrder);
    g.layers.sort(byOrder);
    g.key = g.producers.length ? g.producers.join('+') : `(${g.layers.join('+')})`;
  }
  groups.sort((a, b) => byOrder(a.producers[0] ?? a.layers[0], b.producers[0] ?? b.layers[0]));
  return {
    graph, layouts, bindings, groups, warnings,
    groupOf: (space) => byRoot.get(sets.find(space)) as ChannelGroup,
    rootOf: (space) => sets.find(space),
  };
}
