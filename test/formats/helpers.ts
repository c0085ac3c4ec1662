import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadImageFolder } from '../../src/data/images.js';
import type { Dataset } from '../../src/data/index.js';
import { readGraphFiles, type GraphFiles } from '../../src/formats/graph/index.js';

/** Committed real models and photos (test/fixtures/real). */
export const FIXTURES = path.resolve('test/fixtures/real');

/** Serves written files as a web server would: nothing of shrinkml's between the files and tf.loadGraphModel. */
export function stock(jsonPath: string): tf.io.IOHandler {
  return {
    load: async () => tf.io.getModelArtifactsForJSON(JSON.parse(readFileSync(jsonPath, 'utf8')), async (manifest) => {
      const parts = manifest.flatMap((g) => g.paths.map((p) => new Uint8Array(readFileSync(path.join(path.dirname(jsonPath), p)))));
      return [manifest.flatMap((g) => g.weights), tf.io.concatenateArrayBuffers(parts.map((p) => p.slice().buffer))];
    }),
  };
}

export interface EmotionSetup {
  graph: GraphFiles;
  /** The compared crops (seed 3), [n, 64, 64, 1] in [-1, 1] as Human feeds the model; the caller disposes it. */
  x: tf.Tensor4D;
  /** The model as shipped on `x`, through stock tf.loadGraphModel: rows of 7 class probabilities. */
  reference: Float32Array;
  /** Calibration crops (seed 5): never the compared ones. */
  calib: Dataset;
}

/** Human's emotion GraphModel (depthwise CNN, ~200 KB) with `compared` crops per photo to compare and `calibration` to calibrate on. */
export async function emotionSetup(o: { compared: number; calibration: number }): Promise<EmotionSetup> {
  const graph = await readGraphFiles(path.join(FIXTURES, 'emotion/emotion.json'));
  const image = { dir: path.join(FIXTURES, 'photos'), height: 64, width: 64, channels: 1 as const, layout: 'NHWC' as const, range: [-1, 1] as [number, number] };
  const calib = await loadImageFolder({ ...image, seed: 5, cropsPerImage: o.calibration });
  const data = await loadImageFolder({ ...image, seed: 3, cropsPerImage: o.compared });
  const x = tf.tensor4d(data.x, [data.count, 64, 64, 1]);
  const model = await tf.loadGraphModel(stock(graph.descriptorPath));
  const y = model.predict(x) as tf.Tensor;
  const reference = y.dataSync() as Float32Array;
  tf.dispose(y);
  model.dispose();
  return { graph, x, reference, calib };
}

/** Mean KL(ref ‖ got), mean cosine and top-1 agreement over rows of 7 class probabilities. */
export function compareClasses(ref: Float32Array, got: Float32Array, classes = 7) {
  let kl = 0, cos = 0, same = 0;
  const rows = ref.length / classes;
  for (let r = 0; r < rows; r++) {
    let dot = 0, a = 0, b = 0, best = 0, bestGot = 0;
    for (let j = 0; j < classes; j++) {
      const p = ref[r * classes + j]!, q = got[r * classes + j]!;
      kl += p > 0 ? (p * Math.log(p / Math.max(q, 1e-12))) / rows : 0;
      dot += p * q; a += p * p; b += q * q;
      if (p > ref[r * classes + best]!) best = j;
      if (q > got[r * classes + bestGot]!) bestGot = j;
    }
    cos += dot / Math.sqrt(a * b) / rows;
    same += Number(best === bestGot);
  }
  return { kl, cos, agreement: same / rows };
}
