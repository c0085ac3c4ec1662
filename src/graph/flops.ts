import type * as tf from '@tensorflow/tfjs';
import { buildGraph } from './build.js';
import type { GraphNode, ModelGraph } from './types.js';

export interface LayerFlops {
  name: string;
  className: string;
  flops: number;
}

export interface FlopsReport {
  /** Floating-point operations for one sample: 2 per multiply-accumulate; bias adds and activations are not counted. */
  total: number;
  layers: LayerFlops[];
}

function spatial(node: GraphNode): number {
  const inner = node.outputShape.slice(1, -1);
  return inner.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 1), 1);
}

function weight(node: GraphNode, role: string): number[] | undefined {
  return node.weights.find((w) => w.role === role)?.shape;
}

const prod = (xs: number[]): number => xs.reduce((p, x) => p * x, 1);

/** MACs per output position × positions × 2, from the kernel shape and the output shape. */
function flopsOf(node: GraphNode): number {
  const kernel = weight(node, 'kernel');
  switch (node.className) {
    case 'Dense':
      return kernel ? 2 * prod(kernel) * spatial(node) : 0;
    case 'Conv1D': case 'Conv2D': case 'Conv3D':
      return kernel ? 2 * prod(kernel) * spatial(node) : 0;
    case 'DepthwiseConv2D': {
      const dk = weight(node, 'depthwise_kernel');
      return dk ? 2 * prod(dk) * spatial(node) : 0;
    }
    case 'SeparableConv1D': case 'SeparableConv2D': {
      const dk = weight(node, 'depthwise_kernel');
      const pk = weight(node, 'pointwise_kernel');
      return dk && pk ? 2 * (prod(dk) + prod(pk)) * spatial(node) : 0;
    }
    default:
      return 0;
  }
}

/**
 * FLOPs of one forward pass of one sample through Dense, Conv and DepthwiseConv/SeparableConv layers (the layers
 * that dominate cost). Free spatial dimensions count as 1.
 */
export function countFlops(model: tf.LayersModel | ModelGraph): FlopsReport {
  const graph = 'nodes' in model && 'byName' in model ? model : buildGraph(model as tf.LayersModel);
  const layers = graph.nodes.map((n) => ({ name: n.name, className: n.className, flops: flopsOf(n) })).filter((l) => l.flops > 0);
  return { total: layers.reduce((s, l) => s + l.flops, 0), layers };
}
