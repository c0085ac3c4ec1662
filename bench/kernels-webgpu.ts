/**
 * WebGPU: MatMulInt8 (int8 × int8, dot4I8Packed) and the weight-only int8 × float kernel vs tf.matMul fp32 on the
 * webgpu backend, at batch 1 and 64, K = N = 1024 and 4096 — the same process, the same device.
 *
 *   npx tsc -p . && node dist/bench/kernels-webgpu.js [--sizes 1024,4096] [--batches 1,64] [--chain 50]
 *     [--trials 3] [--portable] [--out bench/results/kernels-webgpu.md]
 *
 * Each measurement queues `chain` launches of one op and reads back only the last result, so dispatch and readback
 * overhead do not hide the kernel (the queue runs in order: the readback waits for all of them); the best of
 * `trials` is reported. Needs a WebGPU adapter: in Node the `webgpu` package (Dawn) on a real driver. On a
 * software adapter (SwiftShader, llvmpipe) the script still runs, at small default sizes, and says that its
 * numbers mean nothing for GPUs. Target on a real GPU: weight-only int8 at batch 1 ≥ 2× faster than fp32.
 */
import * as tf from '@tensorflow/tfjs';
import { hasPackedDot, matMulInt8, matMulInt8WeightOnly, quantizeInt8, registerKernels, setWebGPUKernelOptions } from '../kernels/index.js';
import { selectBackend } from '../src/backends/index.js';
import { benchArgs } from './args.js';
import { writeGenerated } from './write-results.js';

const log = (line: string): void => { process.stderr.write(`${line}\n`); };

/** Milliseconds per launch: `chain` launches queued back to back, one readback at the end; best of `trials`. */
async function timeChained(run: () => tf.Tensor, chain: number, trials: number): Promise<number> {
  const warm = run(); // compiles the pipeline
  await warm.data();
  warm.dispose();
  let best = Infinity;
  for (let t = 0; t < trials; t++) {
    const start = performance.now();
    let last: tf.Tensor | undefined;
    for (let i = 0; i < chain; i++) {
      last?.dispose(); // frees the handle only: the queued work still runs, in order
      last = run();
    }
    await last!.data();
    best = Math.min(best, (performance.now() - start) / chain);
    last!.dispose();
  }
  return best;
}

/** max |a - b| / max |b|: quantization error of an int8 result against fp32 (a sanity check, ~1e-2). */
async function relError(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let num = 0, den = 0;
  for (let i = 0; i < y.length; i++) { num = Math.max(num, Math.abs(x[i]! - y[i]!)); den = Math.max(den, Math.abs(y[i]!)); }
  return num / (den || 1);
}

async function main(): Promise<void> {
  const { values } = benchArgs({ options: {
    sizes: { type: 'string' }, batches: { type: 'string', default: '1,64' }, chain: { type: 'string', default: '50' },
    trials: { type: 'string', default: '3' }, portable: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/kernels-webgpu.md' },
  } });
  const choice = await selectBackend({ backend: 'webgpu' });
  await registerKernels();
  if (values.portable) setWebGPUKernelOptions({ portable: true });
  const software = choice.adapter?.isFallback ?? false;
  const sizes = (values.sizes ?? (software ? '128,256' : '1024,4096')).split(',').map(Number);
  const batches = values.batches!.split(',').map(Number);
  const chain = software ? Math.min(Number(values.chain), 3) : Number(values.chain);
  const trials = Number(values.trials);
  const path = hasPackedDot() ? 'dot4I8Packed' : 'portable (no dot4I8Packed)';
  log(`device: ${choice.device}; int8 path: ${path}`);
  if (software) {
    log('!!! This adapter is a SOFTWARE fallback (CPU emulation of a GPU): the timings below mean NOTHING about GPUs.');
    log('!!! Sizes default to 128,256 and chains to 3 here; run on a real GPU for the 1024/4096 numbers.');
  }
  const rows: string[] = [];
  for (const size of sizes) {
    const w = tf.randomNormal([size, size], 0, 0.05, 'float32', 1);
    const wAbsMax = tf.tidy(() => tf.max(tf.abs(w), 0));
    const wScale = tf.tidy(() => tf.div(tf.maximum(wAbsMax, 1e-8), 127)) as tf.Tensor1D;
    const wq = quantizeInt8({ x: w, scale: wScale, qmin: -127, qmax: 127, transpose: true }) as tf.Tensor2D;
    for (const batch of batches) {
      const x = tf.randomNormal([batch, size], 0, 1, 'float32', 2) as tf.Tensor2D;
      const aScale = Math.fround(8 / 255), aZeroPoint = 0;
      const xq = quantizeInt8({ x, scale: aScale, zeroPoint: aZeroPoint }) as tf.Tensor2D;
      const fp32 = () => tf.matMul(x, w as tf.Tensor2D);
      const int8 = () => matMulInt8({ a: xq, w: wq, wScale, k: size, aScale, aZeroPoint });
      const wOnly = () => matMulInt8WeightOnly({ x, w: wq, wScale });
      const ref = fp32(), yi = int8(), yw = wOnly();
      const errI = await relError(yi, ref), errW = await relError(yw, ref);
      tf.dispose([ref, yi, yw]);
      const tF = await timeChained(fp32, chain, trials);
      const tI = await timeChained(int8, chain, trials);
      const tW = await timeChained(wOnly, chain, trials);
      const target = software ? 'n/a (software)' : batch === 1 ? (tF / tW >= 2 ? 'met' : 'NOT met') : 'report only';
      const row = `| ${size}² | ${batch} | ${tF.toFixed(3)} | ${tI.toFixed(3)} | ${tW.toFixed(3)} | ${(tF / tI).toFixed(2)}× | ` +
        `${(tF / tW).toFixed(2)}× | ${errI.toExponential(1)} / ${errW.toExponential(1)} | ${target} |`;
      rows.push(row);
      log(row);
      tf.dispose([x, xq]);
    }
    tf.dispose([w, wAbsMax, wScale, wq]);
  }
  const report = [
    `# WebGPU int8 kernels vs tf.matMul fp32`,
    '',
    `Device: ${choice.device}. int8 path: ${path}. ${chain} launches per readback, best of ${trials}. ` +
      `${new Date().toISOString().slice(0, 10)}.`,
    software ? '\n**Software adapter: these timings say nothing about GPUs.**\n' : '',
    '| K = N | batch | fp32 ms | int8×int8 ms | weight-only ms | fp32 / int8 | fp32 / weight-only | rel. err int8 / w-only | w-only ≥ 2× at batch 1 |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  process.stdout.write(report);
  if (values.out) {
    writeGenerated(values.out, report);
    log(`wrote ${values.out}`);
  }
}

main().then(() => process.exit(0), (e) => { log(String((e as Error).stack ?? e)); process.exit(1); });
