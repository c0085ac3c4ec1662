/**
 * PyTorch yardstick (issue 8): each reference model through shrinkml's fp32 / ptq-dynamic / ptq-static-minmax and,
 * in the same run on the same machine, through PyTorch's fp32 / dynamic / static int8 (bench/pytorch/yardstick.py)
 * with the same fp32 weights, test split and calibration samples. Writes bench/results/pytorch-yardstick.{md,json}.
 * Without python3-torch it writes a report saying so. Not a timed test.
 *
 *   npx tsc -p . && node dist/bench/pytorch/yardstick.js [--models mnist-lenet-300-100,mnist-lenet5] [--limit N]
 *     [--runs 100] [--out bench/results] [--note "text"]
 *
 * shrinkml runs on the tfjs wasm backend with shrinkml's kernels (single-threaded); PyTorch with set_num_threads(1).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { registerKernels } from '../../kernels/index.js';
import { selectBackend } from '../../src/backends/index.js';
import { loadData } from '../../src/data/index.js';
import { loadModel } from '../../src/formats/index.js';
import type { LoadedLayersModel } from '../../src/formats/types.js';
import { DataProvider, runBench } from '../../src/pipeline/index.js';
import { runYardstick, yardstickNote, type YardstickOutcome, type YardstickRow } from '../../src/pipeline/yardstick/index.js';
import { writeFileAtomically, type BenchReport, type BenchRow } from '../../src/report/index.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'mnist-lenet-300-100,mnist-lenet5' },
    limit: { type: 'string' },
    runs: { type: 'string', default: '100' },
    out: { type: 'string', default: 'bench/results' },
    note: { type: 'string', multiple: true },
  },
});

const log = (line: string): void => { process.stderr.write(`${line}\n`); };
const pct = (x?: number) => (x === undefined ? '–' : `${(100 * x).toFixed(2)}%`);
const pt = (x?: number) => (x === undefined ? '–' : `${x.toFixed(2)} pt`);
const ms = (x?: number) => (x === undefined ? '–' : `${x.toFixed(3)} ms`);
const bytes = (x?: number) => (x === undefined ? '–' : x.toLocaleString('en-US'));
const SHRINKML = ['fp32', 'ptq-dynamic', 'ptq-static-minmax'];
/** Which PyTorch variant stands beside which shrinkml variant. */
const PAIRS: [string, string | undefined, YardstickRow['name']][] = [
  ['fp32', 'fp32', 'fp32'],
  ['int8 dynamic', 'ptq-dynamic', 'dynamic'],
  ['int8 static, min/max observer', 'ptq-static-minmax', 'static-minmax'],
  ['int8 static, histogram observer (PyTorch default)', undefined, 'static-histogram'],
];

interface ModelResult { model: string; shrinkml: BenchReport; pytorch: YardstickOutcome; committed?: BenchRow[] }

const choice = await selectBackend({ backend: 'wasm' });
await registerKernels();
log(`backend: ${choice.backend} (${choice.device})`);
const runs = Number(values.runs);
const limit = values.limit === undefined ? undefined : Number(values.limit);
const results: ModelResult[] = [];
for (const name of values.models!.split(',')) {
  const loaded = await loadModel(resolve('models', name)) as LoadedLayersModel;
  log(`\n== ${name}`);
  try {
    const shrinkml = await runBench({
      input: loaded, data: 'mnist', limit, variants: SHRINKML, settings: { epochs: 1, studentWidth: 0.5, budget: 'drop<=0.3%', seed: 1 },
      latency: { runs, warmup: 10 }, onLog: log, onWarn: (m) => log(`warning: ${m}`),
    });
    shrinkml.model = `models/${name}`;
    log('pytorch: yardstick');
    const test = await loadData({ source: 'mnist', split: 'test', limit });
    const provider = new DataProvider({ source: 'mnist' });
    const pytorch = await runYardstick({
      model: loaded.model, test, calibration: () => provider.get('calibration', 'the PyTorch yardstick'), latency: { runs, warmup: 10 }, onLog: log,
    });
    if (pytorch.status !== 'ok') log(yardstickNote(pytorch));
    const committedPath = join(values.out!, `pipeline-${name}.json`);
    const committed = existsSync(committedPath) ? (JSON.parse(readFileSync(committedPath, 'utf8')) as BenchReport).rows : undefined;
    results.push({ model: name, shrinkml, pytorch, committed });
  } finally {
    loaded.model.dispose();
  }
}

function table(r: ModelResult): string[] {
  const head = ['technique', 'shrinkml accuracy', 'drop', 'bytes', 'gzip', 'p50', 'p95', 'PyTorch accuracy', 'drop', 'bytes', 'gzip', 'p50', 'p95'];
  const row = (c: string[]) => `| ${c.join(' | ')} |`;
  const out = [row(head), row(head.map((_, i) => (i === 0 ? '---' : '---:')))];
  const torch = r.pytorch.status === 'ok' ? r.pytorch.result.variants : [];
  for (const [label, ours, theirs] of PAIRS) {
    const s = r.shrinkml.rows.find((x) => x.variant === ours && x.status === 'ok');
    const p = torch.find((x) => x.name === theirs);
    const side = (a?: number, d?: number, b?: number, g?: number, p50?: number, p95?: number) => [pct(a), pt(d), bytes(b), bytes(g), ms(p50), ms(p95)];
    out.push(row([label, ...side(s?.accuracy, s?.drop, s?.bytes, s?.gzipBytes, s?.p50Ms, s?.p95Ms), ...side(p?.accuracy, p?.drop, p?.bytes, p?.gzipBytes, p?.p50Ms, p?.p95Ms)]));
  }
  return out;
}

function machineLine(): string {
  const s = results[0]?.shrinkml;
  const ok = results.map((r) => r.pytorch).find((p) => p.status === 'ok');
  const torch = ok?.status === 'ok' ? ok.result : undefined;
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' / ');
  return `${s?.machine.cpu ?? os.cpus()[0]?.model} (${os.cpus().length} cores), ${s?.machine.os ?? os.platform()}, load average at the end ${load} (1/5/15 min). ` +
    `shrinkml ${s?.shrinkml} on tfjs ${s?.tfjs} ${s?.backend} (single-threaded), Node ${process.versions.node}. ` +
    (torch ? `PyTorch ${torch.torch} (${torch.interpreter}, Python ${torch.python}), int8 engine ${torch.engine}, torch.set_num_threads(${torch.threads}), eager mode.`
      : 'PyTorch: not available.') + ` ${new Date().toISOString()}.`;
}

const md: string[] = [
  '# PyTorch yardstick: shrinkml int8 beside PyTorch int8', '',
  machineLine(), '',
  'Each model is rebuilt in PyTorch with the same fp32 weights (bench/pytorch/yardstick.py), measured on the same MNIST test samples, and ' +
    'statically quantized with the same calibration samples shrinkml uses (the first 512 of the seeded calibration split). Drop is against each ' +
    'side\'s own fp32. shrinkml bytes are model.json + weight files as written; PyTorch bytes are `torch.save(state_dict)`; gzip at level 9. ' +
    'Latency is one sample per run (batch 1), 10 warm-up runs, nearest-rank p50/p95.', '',
];
for (const r of results) {
  md.push(`## ${r.model}`, '', `${r.shrinkml.samples} test samples.`, '', ...table(r), '');
  md.push(`- ${yardstickNote(r.pytorch)}`);
  if (r.pytorch.status === 'ok') {
    for (const v of r.pytorch.result.variants.filter((x) => x.qconfig)) md.push(`- PyTorch ${v.name}: ${v.description}; ${v.qconfig}.`);
  }
  if (r.committed) {
    const c = (v: string) => r.committed!.find((x) => x.variant === v)?.accuracy;
    md.push(`- The committed pipeline bench (bench/results/pipeline-${r.model}.json) measured fp32 ${pct(c('fp32'))}, ptq-dynamic ${pct(c('ptq-dynamic'))}, ` +
      `ptq-static-minmax ${pct(c('ptq-static-minmax'))} on the same split.`);
  }
  md.push('');
}
md.push('## Notes', '',
  '- Both sides quantize weights to int8 symmetrically: shrinkml per output channel (narrow range) for every Dense and Conv2D; PyTorch ' +
    'dynamic per tensor and Linear only (its convolutions stay fp32); PyTorch static with the engine\'s default weight observer (named above).',
  '- Dynamic quantization picks activation ranges at run time; both sides evaluate accuracy in batches of 256, so each batch gets one range.',
  '- PyTorch static folds BatchNormalization into the convolution and fuses Conv+BN+ReLU and Linear+ReLU before calibrating, as shrinkml folds and fuses.',
  '- Latencies come from a shared 2-core machine running other jobs: compare within a run, not across runs. Accuracies and sizes are exact.',
  ...(values.note ?? []).map((n) => `- ${n}`), '');

mkdirSync(values.out!, { recursive: true });
const base = join(values.out!, 'pytorch-yardstick');
await writeFileAtomically(`${base}.md`, md.join('\n'));
await writeFileAtomically(`${base}.json`, JSON.stringify({
  kind: 'pytorch-yardstick', createdAt: new Date().toISOString(), backend: tf.getBackend(), machine: results[0]?.shrinkml.machine, loadAverage: os.loadavg(),
  models: results.map((r) => ({
    model: `models/${r.model}`, samples: r.shrinkml.samples, shrinkml: r.shrinkml.rows,
    pytorch: r.pytorch.status === 'ok' ? { ...r.pytorch.result, predictions: undefined } : r.pytorch,
  })),
}, null, 2) + '\n');
process.stdout.write(md.join('\n'));
log(`wrote ${base}.{md,json}`);
