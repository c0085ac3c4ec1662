// The browser page's script for int8-backends.test.ts: stock tfjs + shrinkml/runtime, as the README tells users to
// load int8 models (Layers or Graph). Runs a model on one named backend and hands the outputs back with the backend tfjs really used.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import '../../src/runtime/index.js';

export interface Int8Request { model: string; format?: 'layers' | 'graph'; backend: 'webgl' | 'webgpu'; samples: string; count: number; shape: number[] }
export interface Int8Report { backend: string; outputs: number[]; error?: string }

async function runInt8(r: Int8Request): Promise<Int8Report> {
  try {
    if (!(await tf.setBackend(r.backend))) return { backend: tf.getBackend(), outputs: [], error: `setBackend('${r.backend}') failed` };
    await tf.ready();
    const model = r.format === 'graph' ? await tf.loadGraphModel(r.model) : await tf.loadLayersModel(r.model);
    const x = new Float32Array(await (await fetch(r.samples)).arrayBuffer());
    const y = tf.tidy(() => model.predict(tf.tensor(x, [r.count, ...r.shape])) as tf.Tensor);
    const outputs = Array.from(await y.data());
    y.dispose();
    model.dispose();
    return { backend: tf.getBackend(), outputs };
  } catch (e) {
    return { backend: tf.getBackend(), outputs: [], error: (e as Error).message };
  }
}

(globalThis as { runInt8?: typeof runInt8 }).runInt8 = runInt8;
