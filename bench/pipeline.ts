/**
 * Pipeline benchmark (issue 8): on each reference model, fp32 vs weight storage vs PTQ dynamic/static (every
 * observer) vs QAT vs distillation (+QAT) vs prune + QAT vs prune + cluster vs the budget-searched pipeline:
 * accuracy, drop, bytes, gzip, ratio, p50/p95 and compression wall time, with the targets beside the
 * measured values. Writes bench/results/pipeline-<model>.{md,html,json}. Not a timed test.
 *
 *   npx tsc -p . && node dist/bench/pipeline.js [--models mnist-lenet-300-100,mnist-residual] [--epochs 2]
 *     [--variants fp32,qat,...] [--budget "drop<=0.3%"] [--max-trials 6] [--limit N] [--train-limit N] [--out bench/results]
 *     [--note "text appended to the report's notes"]
 *
 * Runs on the tfjs wasm backend with shrinkml's kernels registered (int8 kernels, conv gradients).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { registerKernels } from '../kernels/index.js';
import { selectBackend } from '../src/backends/index.js';
import { loadModel } from '../src/formats/index.js';
import type { LoadedLayersModel } from '../src/formats/types.js';
import { runBench } from '../src/pipeline/index.js';
import { renderBenchHtml, renderBenchMarkdown, renderBenchTable, writeFileAtomically } from '../src/report/index.js';
import { benchArgs } from './args.js';

const { values } = benchArgs({
  options: {
    models: { type: 'string', default: 'mnist-lenet-300-100' },
    epochs: { type: 'string', default: '2' },
    variants: { type: 'string' },
    budget: { type: 'string', default: 'drop<=0.3%' },
    'max-trials': { type: 'string', default: '6' },
    timeout: { type: 'string', default: '3600' },
    limit: { type: 'string' },
    'train-limit': { type: 'string' },
    'student-width': { type: 'string', default: '0.5' },
    runs: { type: 'string', default: '100' },
    out: { type: 'string', default: 'bench/results' },
    /** Appended to the report's notes (e.g. what else ran on the machine). */
    note: { type: 'string', multiple: true },
  },
});

const log = (line: string): void => { process.stderr.write(`${line}\n`); };
const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));

const choice = await selectBackend({ backend: 'wasm' });
await registerKernels();
log(`backend: ${choice.backend} (${choice.device})`);
mkdirSync(values.out!, { recursive: true });
for (const name of values.models!.split(',')) {
  const loaded = await loadModel(resolve('models', name));
  if (loaded.kind !== 'layers') throw new Error(`models/${name}: expected a Layers model`);
  log(`\n== ${name}`);
  try {
    const report = await runBench({
      input: loaded as LoadedLayersModel, data: 'mnist', limit: num(values.limit), trainLimit: num(values['train-limit']),
      variants: values.variants?.split(','),
      settings: { epochs: Number(values.epochs), studentWidth: Number(values['student-width']), budget: values.budget!, seed: 1 },
      latency: { runs: Number(values.runs), warmup: 10 },
      search: { maxTrials: Number(values['max-trials']), timeoutSeconds: Number(values.timeout) },
      onLog: log, onWarn: (m) => log(`warning: ${m}`),
    });
    report.model = `models/${name}`;
    report.notes.push(...(values.note ?? []));
    process.stdout.write(`\n${renderBenchTable(report)}`);
    const base = join(values.out!, `pipeline-${name}`);
    await writeFileAtomically(`${base}.md`, renderBenchMarkdown(report));
    await writeFileAtomically(`${base}.html`, renderBenchHtml(report));
    await writeFileAtomically(`${base}.json`, JSON.stringify(report, null, 2) + '\n');
    log(`wrote ${base}.{md,html,json}`);
  } finally {
    loaded.model.dispose();
  }
}
