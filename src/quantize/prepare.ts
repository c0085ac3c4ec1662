import * as tf from '@tensorflow/tfjs';
import { copyWeightsByLayer, ModelGraph, weightValues, type LayerJson } from './graph.js';
import { foldBatchNorm } from './fold.js';
import { INT8_CLASS } from './support.js';

/** Activations a ReLU-like layer can hand to the layer before it. */
const FUSABLE: Record<string, (l: LayerJson) => string | null> = {
  Activation: (l) => (['relu', 'relu6'].includes(l.config.activation as string) ? (l.config.activation as string) : null),
  ReLU: (l) => (l.config.max_value == null && !l.config.negative_slope && !l.config.threshold ? 'relu' : null),
};

export interface PrepareOptions {
  model: tf.LayersModel;
  /** Only these layers (to be quantized) receive folded BatchNorms and fused activations. */
  targets: (name: string) => boolean;
  foldBatchNorm: boolean;
  fuseActivations: boolean;
}

export interface PrepareResult {
  /** A new float model (fresh weights); the input model is untouched. */
  model: tf.LayersModel;
  folded: { batchNorm: string; into: string }[];
  fused: { layer: string; activation: string; into: string }[];
}

/** The only layer reading `name`'s output, if exactly one does and the model does not also return it. */
function soleConsumer(graph: ModelGraph, name: string): LayerJson | null {
  const c = graph.consumers(name);
  if (c.isOutput || c.layers.length !== 1) return null;
  const next = graph.find(c.layers[0]!);
  return graph.callCount(ModelGraph.nameOf(next)) === 1 ? next : null;
}

function isLastAxis(axis: unknown, rank: number): boolean {
  const a = Array.isArray(axis) ? (axis.length === 1 ? axis[0] : null) : axis;
  return a === -1 || a === rank - 1;
}

/**
 * Prepare phase, float to float: folds a BatchNormalization that directly follows a target Dense/Conv2D into it,
 * then fuses a following ReLU/ReLU6 into its activation, so the int8 layer does the work of all three.
 */
export async function prepareFloat(o: PrepareOptions): Promise<PrepareResult> {
  const graph = ModelGraph.fromModel(o.model);
  const folded: PrepareResult['folded'] = [];
  const fused: PrepareResult['fused'] = [];
  const newWeights = new Map<string, Float32Array[]>();
  for (const layer of [...graph.layers]) {
    const name = ModelGraph.nameOf(layer);
    if (!(layer.class_name in INT8_CLASS) || !o.targets(name) || graph.callCount(name) !== 1) continue;
    const linear = (layer.config.activation ?? 'linear') === 'linear';
    let next = soleConsumer(graph, name);
    if (o.foldBatchNorm && linear && next?.class_name === 'BatchNormalization') {
      const source = o.model.getLayer(name);
      const bnName = ModelGraph.nameOf(next);
      if (isLastAxis(next.config.axis, (source.outputShape as number[]).length)) {
        const w = await weightValues(source);
        const bn = await weightValues(o.model.getLayer(bnName));
        const r = foldBatchNorm({
          kernel: w.get('kernel')!.values, bias: w.get('bias')?.values,
          bn: { gamma: bn.get('gamma')?.values, beta: bn.get('beta')?.values, mean: bn.get('moving_mean')!.values,
            variance: bn.get('moving_variance')!.values, epsilon: next.config.epsilon as number ?? 1e-3 },
        });
        newWeights.set(name, [r.kernel, r.bias]);
        layer.config.use_bias = true;
        graph.remove(bnName);
        folded.push({ batchNorm: bnName, into: name });
        next = soleConsumer(graph, name);
      }
    }
    const activation = next && FUSABLE[next.class_name]?.(next);
    if (o.fuseActivations && linear && next && activation) {
      const actName = ModelGraph.nameOf(next);
      layer.config.activation = activation;
      graph.remove(actName);
      fused.push({ layer: actName, activation, into: name });
    }
  }
  const model = await graph.build();
  copyWeightsByLayer(o.model, model, new Set(newWeights.keys()));
  for (const [name, values] of newWeights) {
    const layer = model.getLayer(name);
    const tensors = layer.weights.map((w, i) => tf.tensor(values[i]!, w.shape as number[], 'float32'));
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  return { model, folded, fused };
}
