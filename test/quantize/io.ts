import * as tf from '@tensorflow/tfjs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

/**
 * Loads a saved model.json + shards exactly as a browser would with stock tfjs: only tf.io's own decoding
 * (decodeWeights, manifest `quantization` entries) runs, no shrinkml loader code.
 */
export async function stockLoad(dir: string): Promise<{ model: tf.LayersModel; json: Record<string, unknown> }> {
  const json = JSON.parse(await fsp.readFile(path.join(dir, 'model.json'), 'utf8'));
  const group = json.weightsManifest[0];
  const buffers = await Promise.all(group.paths.map((p: string) => fsp.readFile(path.join(dir, p))));
  const data = Buffer.concat(buffers);
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: group.weights, weightData }));
  return { model, json };
}
