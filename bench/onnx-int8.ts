/**
 * fp32 vs INT8 ONNX models in onnxruntime-node: latency at batch 1 and 64, size, and MNIST test accuracy.
 *   npx tsc -p . && node dist/bench/onnx-int8.js [--model a.onnx --model b.onnx] [--out bench/results/onnx-int8.md]
 * Default models: models/onnx/mnist-lenet-300-100.onnx and mnist-lenet5.onnx (when present).
 * Target (issue 9): dynamic INT8 ≥ 2× faster than fp32 at batch 64 for LeNet-300-100. One intra-op thread, all
 * graph optimizations, the same process and input for every variant; the median of five timed rounds is reported.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/index.js';
import { decodeOnnx, graphInputs } from '../src/formats/onnx/decode.js';
import { encodeOnnx } from '../src/formats/onnx/write.js';
import type { ModelProto } from '../src/formats/onnx/proto.js';
import { calibrateOnnx } from '../src/onnx/calibrate.js';
import { quantizeDynamic } from '../src/onnx/dynamic.js';
import { foldBatchNorms } from '../src/onnx/fold.js';
import { onnxAccuracy } from '../src/onnx/evaluate.js';
import type { InferenceSession } from 'onnxruntime-node';
import { createSession, runSession } from '../src/onnx/runtime.js';
import { quantizeStatic } from '../src/onnx/static.js';

/**
 * Median ms per run of each session at one input shape. Variants are timed in interleaved rounds, so a burst of
 * load from other processes on a shared machine hits all of them rather than skewing one ratio.
 */
async function latenciesMs(sessions: InferenceSession[], input: string, dims: number[], rounds = 9, roundMs = 60): Promise<number[]> {
  const feed = { [input]: { data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => (i % 255) / 255), dims } };
  for (const s of sessions) for (let i = 0; i < 20; i++) await runSession(s, feed);
  const times: number[][] = sessions.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, s] of sessions.entries()) {
      let reps = 0;
      const start = performance.now();
      while (performance.now() - start < roundMs || reps < 3) { await runSession(s, feed); reps++; }
      times[i]!.push((performance.now() - start) / reps);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

async function benchModel(file: string, rows: string[]): Promise<void> {
  const fp32 = decodeOnnx(new Uint8Array(readFileSync(file)), file).model;
  const input = graphInputs(fp32, file)[0]!;
  const test = await loadData({ source: 'mnist', split: 'test' });
  const calibration = await loadData({ source: 'mnist', split: 'calibration', limit: 256 });
  const folded = foldBatchNorms(fp32).model;
  const { ranges } = await calibrateOnnx({ model: folded, dataset: calibration, input });
  const variants: [string, ModelProto][] = [
    ['fp32', fp32],
    ['dynamic int8', quantizeDynamic(fp32).model],
    ['static int8 (QDQ)', quantizeStatic(folded, { ranges }).model],
  ];
  const sample = input.shape.slice(1).map(Number);
  const encoded = variants.map(([, m]) => encodeOnnx(m));
  const sessions = await Promise.all(encoded.map((bytes) => createSession(bytes)));
  const b1 = await latenciesMs(sessions, input.name, [1, ...sample]);
  const b64 = await latenciesMs(sessions, input.name, [64, ...sample]);
  const acc: number[] = [];
  for (const session of sessions) acc.push(await onnxAccuracy({ session, input, dataset: test }));
  await Promise.all(sessions.map((s) => s.release()));
  const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}×`;
  variants.forEach(([name], i) => {
    const target = name === 'dynamic int8' && file.includes('lenet-300-100') ? (b64[0]! / b64[i]! >= 2 ? 'met (≥ 2× at 64)' : 'NOT met (≥ 2× at 64)') : '';
    rows.push(`| \`${file.split('/').pop()}\` | ${name} | ${encoded[i]!.length.toLocaleString('en-US')} | ${gzipSync(encoded[i]!).length.toLocaleString('en-US')} | ` +
      `${b1[i]!.toFixed(4)} (${ratio(b1[0]!, b1[i]!)}) | ${b64[i]!.toFixed(4)} (${ratio(b64[0]!, b64[i]!)}) | ${(acc[i]! * 100).toFixed(2)}% | ` +
      `${((acc[i]! - acc[0]!) * 100).toFixed(2)} pt | ${target} |`);
    process.stderr.write(`${rows[rows.length - 1]}\n`);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    model: { type: 'string', multiple: true, default: ['models/onnx/mnist-lenet-300-100.onnx', 'models/onnx/mnist-lenet5.onnx'] },
    out: { type: 'string', default: 'bench/results/onnx-int8.md' },
  } });
  const rows: string[] = [];
  for (const file of values.model!.filter((f) => existsSync(f))) await benchModel(file, rows);
  const report = [
    '# bench/onnx-int8', '',
    `onnxruntime-node (CPU, 1 intra-op thread, graph optimizations 'all'), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    'Latency: median ms per run over 9 interleaved rounds (speed-up vs fp32 in parentheses), same process. Accuracy:',
    'the 10,000 MNIST test images. Static: BatchNormalization folded into Conv, then minmax ranges from 256 calibration',
    'images (a seeded sample of the train split). Dynamic leaves Conv float (onnxruntime ConvInteger needs uint8 weights).', '',
    '| model | variant | bytes | gzip bytes | batch 1 ms | batch 64 ms | test accuracy | change | target |',
    '|---|---|---:|---:|---:|---:|---:|---:|---|', ...rows, '',
  ].join('\n');
  process.stdout.write(report);
  const tmp = `${values.out}.tmp-${process.pid}`;
  writeFileSync(tmp, report);
  renameSync(tmp, values.out!);
}

await main();
