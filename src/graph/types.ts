/**
 * A model's layer graph, independent of the tfjs object model: who feeds whom, with shapes and weight roles.
 * Built once by ./build.ts and shared by pruning, FLOPs counting and any pass that needs topology.
 */
export type Shape = (number | null)[];

export interface GraphWeight {
  /** The variable name as saved in the manifest, e.g. `dense_Dense1/kernel`. */
  name: string;
  /** The last path segment: `kernel`, `bias`, `gamma`, `depthwise_kernel`, ... */
  role: string;
  shape: number[];
}

export interface GraphNode {
  name: string;
  className: string;
  /** `layer.getConfig()` (camelCase keys, as tfjs holds it in memory). */
  config: Record<string, unknown>;
  /** Producer node names in call order (empty for an input). */
  inputs: string[];
  /** Consumer node names. */
  outputs: string[];
  inputShapes: Shape[];
  outputShape: Shape;
  weights: GraphWeight[];
  /** The layer is called at more than one place in this model (a shared layer); its shapes are the first call's. */
  shared: boolean;
  /** A nested model used as a layer; its inside is opaque to the graph. */
  nested: boolean;
}

export interface ModelGraph {
  /** Nodes in topological order (every producer before its consumers). */
  nodes: GraphNode[];
  byName: Map<string, GraphNode>;
  /** Names of the model's input nodes, in model order. */
  inputs: string[];
  /** Names of the nodes whose outputs are model outputs, in model order. */
  outputs: string[];
}
