import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Stock loading for the benches: a model.json and the shards its manifest names, read from disk and handed to
 * tfjs as a browser's HTTP loader would hand them — nothing of shrinkml's in between.
 */
export function stockHandler(jsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
      const dir = path.dirname(jsonPath);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const buffers = manifest.flatMap((g) => g.paths.map((p) => { const b = readFileSync(path.join(dir, p)); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer; }));
        return [manifest.flatMap((g) => g.weights), tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}
