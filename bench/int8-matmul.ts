/**
 * MatMulInt8 (our wasm SIMD kernel) vs tfjs-wasm fp32 matMul (XNNPACK), same run, same process.
 *   npx tsc -p . && node dist/bench/int8-matmul.js [--out bench/results/int8-matmul.md]
 * Target (issue 3): ≥ 1.5× faster at batch 1 (memory-bound); batch 64 reported as measured.
 */
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { matMulInt8, registerKernels } from '../kernels/index.js';
import { benchArgs } from './args.js';
import { writeGenerated } from './write-results.js';

function timeMs(run: () => tf.Tensor, minMs = 400): number {
  run().dispose(); // warm-up (XNNPACK packs weights on first use)
  let reps = 0;
  const start = performance.now();
  while (performance.now() - start < minMs || reps < 3) { run().dispose(); reps++; }
  return (performance.now() - start) / reps;
}

async function main(): Promise<void> {
  const { values } = benchArgs({ options: { out: { type: 'string', default: 'bench/results/int8-matmul.md' } } });
  await tf.setBackend('wasm');
  await tf.ready();
  await registerKernels();
  const rows: string[] = [];
  for (const size of [1024, 4096]) {
    for (const batch of [1, 64]) {
      const words = size / 4;
      const aF = tf.randomNormal([batch, size]);
      const wF = tf.randomNormal([size, size]);
      const aQ = tf.randomUniform([batch, words], -2147483648, 2147483647, 'int32');
      const wQ = tf.randomUniform([size, words], -2147483648, 2147483647, 'int32');
      const wScale = tf.fill([size], 0.01);
      const fp32 = timeMs(() => tf.matMul(aF, wF));
      const int8 = timeMs(() => matMulInt8({ a: aQ as tf.Tensor2D, w: wQ as tf.Tensor2D, wScale: wScale as tf.Tensor1D,
        k: size, aScale: 0.02, aZeroPoint: 3 }));
      const gops = (ms: number) => ((2 * batch * size * size) / (ms * 1e6)).toFixed(1);
      const target = batch === 1 ? (fp32 / int8 >= 1.5 ? 'met (≥ 1.5×)' : 'NOT met (≥ 1.5×)') : 'report only';
      rows.push(`| ${size}² | ${batch} | ${fp32.toFixed(3)} (${gops(fp32)}) | ${int8.toFixed(3)} (${gops(int8)}) | ` +
        `${(fp32 / int8).toFixed(2)}× | ${target} |`);
      process.stderr.write(`${rows[rows.length - 1]}\n`);
      tf.dispose([aF, wF, aQ, wQ, wScale]);
    }
  }
  const report = [
    '# bench/int8-matmul', '',
    `Node ${process.version}, tfjs-backend-wasm (SIMD, 1 thread), ${new Date().toISOString().slice(0, 10)}.`,
    'Times are ms per call (GOP/s in parentheses), both measured in the same process; ratio = fp32 / int8.', '',
    `Machine load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) on a shared 2-core machine: absolute times are inflated by other jobs; the ratios are what this run measured.`, '',
    '| weights | batch | fp32 matMul (XNNPACK) | MatMulInt8 (ours) | speed-up | target |',
    '|---|---|---|---|---|---|', ...rows, '',
  ].join('\n');
  process.stdout.write(report);
  writeGenerated(values.out!, report);
}

await main();
