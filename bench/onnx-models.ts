/**
 * Exports the reference tfjs models to models/onnx/<name>.onnx and checks each export against tfjs.
 *   npx tsc -p . && node dist/bench/onnx-models.js [--out bench/results/onnx-models.md]
 * For every models/<name> present: ONNX (onnxruntime-node) vs tfjs (cpu) on 512 MNIST test images (max abs error,
 * top-1 agreement), then the ONNX model's accuracy on the 10,000-image test split.
 */
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { loadData, toModelInput } from '../src/data/index.js';
import { loadModel } from '../src/formats/index.js';
import { convertToOnnx } from '../src/onnx/convert/index.js';
import { argmaxRows, onnxAccuracy, predictOnnx } from './onnx-predict.js';
import { createSession } from '../src/onnx/runtime.js';
import { graphInputs } from '../src/formats/onnx/decode.js';
import { encodeOnnx } from '../src/formats/onnx/write.js';
import { benchArgs } from './args.js';
import { writeGenerated } from './write-results.js';

const NAMES = ['mnist-lenet-300-100', 'mnist-lenet5', 'mnist-residual'];

async function main(): Promise<void> {
  const { values } = benchArgs({ options: { out: { type: 'string', default: 'bench/results/onnx-models.md' } } });
  await tf.setBackend('cpu');
  const test = await loadData({ source: 'mnist', split: 'test' });
  const sample = await loadData({ source: 'mnist', split: 'test', limit: 512 });
  const rows: string[] = [];
  for (const name of NAMES) {
    if (!existsSync(`models/${name}/model.json`)) { process.stderr.write(`${name}: not trained yet, skipped\n`); continue; }
    const loaded = await loadModel(`models/${name}`);
    if (loaded.kind !== 'layers') throw new Error(`${name} is not a layers model`);
    const out = `models/onnx/${name}.onnx`;
    const { model, bytes } = await convertToOnnx({ model: loaded.model, out, force: true });
    const input = graphInputs(model, out)[0]!;
    const session = await createSession(encodeOnnx(model), { label: out });
    const expected = tf.tidy(() => {
      const x = toModelInput(sample, loaded.model.inputs[0]!.shape);
      return (loaded.model.predict(x) as tf.Tensor).dataSync().slice() as Float32Array;
    });
    const got = await predictOnnx({ session, input, dataset: sample });
    const maxErr = Math.max(...Array.from(got.values, (v, i) => Math.abs(v - expected[i]!)));
    const a = argmaxRows(expected, got.rowSize);
    const b = argmaxRows(got.values, got.rowSize);
    const agree = a.filter((c, i) => c === b[i]).length / a.length;
    const accuracy = await onnxAccuracy({ session, input, dataset: test });
    await session.release();
    loaded.model.dispose();
    rows.push(`| \`${name}\` | ${bytes.toLocaleString('en-US')} | [${input.shape.join(', ')}] | ${maxErr.toExponential(2)} | ${(agree * 100).toFixed(2)}% | ${(accuracy * 100).toFixed(2)}% |`);
    process.stderr.write(`${rows[rows.length - 1]}\n`);
  }
  const report = [
    '# bench/onnx-models', '',
    `tfjs Layers → ONNX export (opset 13), Node ${process.version}, onnxruntime-node, ${new Date().toISOString().slice(0, 10)}.`,
    'Agreement and max abs error: ONNX vs tfjs (cpu backend) softmax outputs on the first 512 MNIST test images;',
    'accuracy: the ONNX model in onnxruntime on the 10,000 test images.', '',
    '| model | .onnx bytes | input | max abs error | top-1 agreement | test accuracy |',
    '|---|---:|---|---:|---:|---:|', ...rows, '',
  ].join('\n');
  process.stdout.write(report);
  writeGenerated(values.out!, report);
}

await main();
