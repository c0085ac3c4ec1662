/**
 * Seconds per epoch of LeNet-5 (src/zoo mnist-lenet5, Adam, batch 128) on the 55k MNIST train split:
 * tfjs cpu backend (a few batches, extrapolated), tfjs wasm + our kernels (N batches, extrapolated), and PyTorch
 * when `/usr/bin/python3 -c 'import torch'` works. Ratios come from this one run. Also a per-kernel profile on wasm.
 *   npx tsc -p . && node dist/bench/train-cnn.js [--cpu-batches 3] [--wasm-batches 100] [--torch-threads 1,2]
 *     [--out bench/results/train-cnn.md]
 * Target (issues 3, 18): wasm ≤ 2× PyTorch at the same thread count. tfjs-backend-wasm is single-threaded in Node
 * (its threaded build is off there), so wasm is 1 thread; PyTorch is reported at each --torch-threads count.
 */
import { spawnSync } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerKernels } from '../kernels/index.js';
import { loadData, type Dataset } from '../src/data/index.js';
import { getArchitecture } from '../src/zoo/index.js';

const BATCH = 128;

function batchOf(data: Dataset, i: number): { x: tf.Tensor; y: tf.Tensor } {
  const start = (i * BATCH) % (data.count - BATCH);
  return tf.tidy(() => ({
    x: tf.tensor4d(data.x.subarray(start * 784, (start + BATCH) * 784), [BATCH, 28, 28, 1]),
    y: tf.oneHot(tf.tensor1d(data.labels!.subarray(start, start + BATCH), 'int32'), 10),
  }));
}

async function secondsPerBatch(backend: string, data: Dataset, batches: number): Promise<{ s: number; loss: number }> {
  await tf.setBackend(backend);
  const model = getArchitecture('mnist-lenet5').build(1);
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
  const step = async (i: number) => {
    const { x, y } = batchOf(data, i);
    const loss = Number(await model.trainOnBatch(x, y));
    tf.dispose([x, y]);
    return loss;
  };
  await step(0); // warm-up: kernel setup, XNNPACK operator creation
  const start = performance.now();
  let loss = 0;
  for (let i = 1; i <= batches; i++) loss = await step(i);
  const s = (performance.now() - start) / 1000 / batches;
  model.dispose();
  return { s, loss };
}

async function profileWasm(data: Dataset): Promise<string[]> {
  await tf.setBackend('wasm');
  const model = getArchitecture('mnist-lenet5').build(1);
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
  const { x, y } = batchOf(data, 0);
  await model.trainOnBatch(x, y);
  const steps = 5;
  const info = await tf.profile(async () => { for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y); });
  const byKernel = new Map<string, number>();
  for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  tf.dispose([x, y]);
  model.dispose();
  const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
  return [...byKernel.entries()].sort((a, b) => b[1] - a[1]).slice(0, 14).map(([name, ms]) =>
    `| ${name} | ${(ms / steps).toFixed(2)} | ${((100 * ms) / total).toFixed(1)}% |`)
    .concat(`| (all kernels) | ${(total / steps).toFixed(2)} | 100% |`);
}

const torchScript = (threads: number) => `
import time, torch, torch.nn as nn
torch.manual_seed(1); torch.set_num_threads(${threads})
m = nn.Sequential(nn.Conv2d(1,6,5,padding=2), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
  nn.Conv2d(6,16,5), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
  nn.Linear(400,120), nn.ReLU(), nn.Linear(120,84), nn.ReLU(), nn.Linear(84,10))
opt = torch.optim.Adam(m.parameters(), 1e-3); lossf = nn.CrossEntropyLoss()
x = torch.rand(128,1,28,28); y = torch.randint(0,10,(128,))
def step():
  opt.zero_grad(); l = lossf(m(x), y); l.backward(); opt.step()
for _ in range(5): step()
n = 100; t = time.perf_counter()
for _ in range(n): step()
print((time.perf_counter() - t) / n)
`;
import { benchArgs } from './args.js';

function torchSecondsPerBatch(threads: number): number | undefined {
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return undefined;
  const run = spawnSync('/usr/bin/python3', ['-c', torchScript(threads)], { encoding: 'utf8' });
  return run.status === 0 ? Number(run.stdout.trim()) : undefined;
}

async function main(): Promise<void> {
  const { values } = benchArgs({ options: {
    'cpu-batches': { type: 'string', default: '3' },
    'wasm-batches': { type: 'string', default: '100' },
    'torch-threads': { type: 'string', default: '1,2' },
    out: { type: 'string', default: 'bench/results/train-cnn.md' },
  } });
  const log = (s: string) => process.stderr.write(`${s}\n`);
  await tf.setBackend('wasm');
  await tf.ready();
  await registerKernels();
  const data = await loadData({ source: 'mnist', split: 'train' });
  const perEpoch = Math.ceil(data.count / BATCH);
  log(`mnist train split: ${data.count} samples, ${perEpoch} batches of ${BATCH} per epoch`);
  const cpuBatches = Number(values['cpu-batches']), wasmBatches = Number(values['wasm-batches']);
  const wasm = await secondsPerBatch('wasm', data, wasmBatches);
  log(`wasm: ${(wasm.s * 1000).toFixed(1)} ms/batch`);
  const cpu = await secondsPerBatch('cpu', data, cpuBatches);
  log(`cpu: ${(cpu.s * 1000).toFixed(1)} ms/batch`);
  const torchRuns = values['torch-threads']!.split(',').map(Number).map((threads) => ({ threads, s: torchSecondsPerBatch(threads) }));
  for (const t of torchRuns) log(`pytorch ${t.threads} thread(s): ${t.s === undefined ? 'unavailable' : `${(t.s * 1000).toFixed(1)} ms/batch`}`);
  // The ratio that counts compares like with like: PyTorch at 1 thread, as wasm runs; otherwise its first count.
  const torch = (torchRuns.find((t) => t.threads === 1) ?? torchRuns[0])?.s;
  const torchThreads = (torchRuns.find((t) => t.threads === 1) ?? torchRuns[0])?.threads;
  const profile = await profileWasm(data);
  const epoch = (s: number) => (s * perEpoch).toFixed(1);
  const torchLines = torchRuns.map((t) => (t.s === undefined
    ? `| PyTorch ${t.threads} thread(s) | not measured: \`/usr/bin/python3 -c "import torch"\` fails on this machine | | |`
    : `| PyTorch ${t.threads} thread(s) (100 batches, extrapolated) | ${(t.s * 1000).toFixed(1)} | ${epoch(t.s)} | ${torch === undefined ? 'n/a' : `${(t.s / torch).toFixed(2)}×`} |`));
  const vsTorch = (s: number) => (torch === undefined ? 'n/a' : `${(s / torch).toFixed(2)}×`);
  const targetLine = torch === undefined
    ? 'Target wasm ≤ 2× PyTorch: **not checked** (no PyTorch here). Issue 3 measured PyTorch at ~12 s/epoch on the ' +
      `reference machine; against that figure wasm is ${(wasm.s * perEpoch / 12).toFixed(2)}× (different run, indicative only).`
    : `Target wasm (1 thread) ≤ 2× PyTorch at ${torchThreads} thread(s): **${wasm.s / torch <= 2 ? 'met' : 'NOT met'}** (${(wasm.s / torch).toFixed(2)}×).` +
      torchRuns.filter((t) => t.threads !== torchThreads && t.s !== undefined).map((t) => ` Against PyTorch at ${t.threads} threads: ${(wasm.s / t.s!).toFixed(2)}×.`).join('');
  const report = [
    '# bench/train-cnn', '',
    `LeNet-5 (src/zoo mnist-lenet5), Adam, batch ${BATCH}, ${perEpoch} batches per epoch (55k train split). ` +
    `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Same process, same data; ms/batch after one warm-up batch.`, '',
    `Machine load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) on a shared 2-core machine: absolute times are inflated by other jobs; the ratios are what this run measured.`, '',
    '| backend | ms / batch | s / epoch | vs PyTorch |', '|---|---|---|---|',
    `| tfjs cpu (${cpuBatches} batches, extrapolated) | ${(cpu.s * 1000).toFixed(1)} | ${epoch(cpu.s)} | ${vsTorch(cpu.s)} |`,
    `| tfjs wasm + shrinkml kernels, 1 thread (${wasmBatches} batches, extrapolated) | ${(wasm.s * 1000).toFixed(1)} | ${epoch(wasm.s)} | ${vsTorch(wasm.s)} |`,
    ...torchLines, '',
    `wasm is ${(cpu.s / wasm.s).toFixed(1)}× faster than the cpu backend.`, '', targetLine, '',
    '## Where the time goes on wasm (tf.profile, ms per training step)', '',
    '| kernel | ms / step | share |', '|---|---|---|', ...profile, '',
    'On wasm, BatchNorm\'s gradient is one kernel (FusedBatchNormGrad) and Dense weight gradients (BatchMatMul with',
    'transposeA) run on our SIMD Aᵀ·B; the first conv\'s input gradient is never computed (tfjs prunes inputs that are',
    'not a function of the variables from the tape: test/kernels/training.test.ts holds it).', '',
  ].join('\n');
  process.stdout.write(report);
  const tmp = `${values.out}.tmp-${process.pid}`;
  writeFileSync(tmp, report);
  renameSync(tmp, values.out!);
}

await main();
