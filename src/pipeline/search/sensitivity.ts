import type * as tf from '@tensorflow/tfjs';
import { batches } from '../../data/batches.js';
import type { Dataset } from '../../data/types.js';
import { evaluateQuality } from '../../measure/index.js';
import type { PipelineConfig } from '../config.js';
import type { DataProvider } from '../data.js';
import { runPipeline } from '../run.js';
import { MAX_LEVEL, type LayerLevels } from '../steps/types.js';

/** Output error of the model when only one layer is compressed (at one fallback level), everything else intact. */
export interface SensitivityRow {
  layer: string;
  level: number;
  /**
   * The output error the allocation orders layers by: mean KL(input model ‖ compressed) of the class outputs on the
   * sensitivity samples, or 1 − mean cosine when no output is class scores (an image or keypoint output).
   */
  meanKl: number;
  /** Top-1 agreement with the input model (absent when no output is class scores). */
  agreement?: number;
  samples: number;
}

export interface SensitivityOptions {
  source: tf.LayersModel;
  config: PipelineConfig;
  data: DataProvider;
  /** Every layer the search may relax. */
  layers: string[];
  layer: string;
  level: number;
  samples: Dataset;
  signal?: AbortSignal;
}

/**
 * One sensitivity probe: the pipeline in quick mode (no training) with every other layer switched off, so the
 * output error is this layer's alone. Cheap (no training), which is why the search can afford one per layer and level.
 */
export async function probeSensitivity(o: SensitivityOptions): Promise<SensitivityRow> {
  const levels: LayerLevels = Object.fromEntries(o.layers.map((l) => [l, l === o.layer ? o.level : MAX_LEVEL]));
  const run = await runPipeline({ model: o.source, config: o.config, data: o.data, levels, quick: true, signal: o.signal });
  try {
    const inputShape = run.model.inputs[0]?.shape ?? [];
    const q = await evaluateQuality({
      model: run.model, reference: o.source, metrics: ['meanKl', 'agreement', 'cosine'],
      batches: batches(o.samples, { batchSize: 500, inputShape }),
    });
    const v = q.values;
    return { layer: o.layer, level: o.level, meanKl: v.meanKl ?? 1 - v.cosine!, ...(v.agreement === undefined ? {} : { agreement: v.agreement }), samples: q.samples };
  } finally {
    run.model.dispose();
  }
}
