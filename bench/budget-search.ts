/**
 * Budget only, no steps: `compress <model> --data <data> --budget <budget>` as the CLI runs it (default search
 * limits: the whole run within --timeout, default 1800 s), against the issue-17 targets (≥ 50× smaller gzip for
 * LeNet-300-100, ≥ 25× for LeNet-5, ≤ 0.3 pt drop on the MNIST test split; ≥ 6× for the nsfwjs MobileNetV2 graph
 * model at ≥ 99% top-1 agreement on held-out crops of real photos; each ≤ 30 minutes on two cores). Sizes, ratios,
 * drops or agreement, trial counts and wall time; the wall time is the search's own budget, not a micro-benchmark,
 * and the load average at the start and end is recorded beside it.
 *
 *   node dist/bench/budget-search.js --model mnist-lenet-300-100 [--timeout 1800]   # → bench/results/budget-search-<model>.json
 *   node dist/bench/fetch-real-models.js --cache <cache>                             # once: nsfwjs and the photos
 *   node dist/bench/budget-search.js --model nsfwjs-mobilenetv2 --cache <cache>
 *   node dist/bench/budget-search.js --report                                        # → bench/results/budget-search.md
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { registerKernels } from '../kernels/index.js';
import { benchArgs } from './args.js';
import { selectBackend } from '../src/backends/index.js';
import { loadImageFolder } from '../src/data/images.js';
import { readGraphFiles, rewriteGraph, writeGraphFolder } from '../src/formats/graph/index.js';
import { CALIBRATION_HOLD_OUT, compress, SEARCH_DEFAULTS } from '../src/pipeline/index.js';
import { PHOTOS } from './fetch-real-models.js';
import { writeAtomically, writeGenerated } from './write-results.js';

const RESULTS = 'bench/results';

/** Seeded crops of the photos, preprocessed as nsfwjs documents (224×224 RGB /255), as real-models.ts makes them. */
const CROPS = 320;

/** Where a bench model and its data come from, and the target: `ratio`× smaller gzip with the budget met on test. */
interface BenchModel {
  target: number;
  /**
   * Which ratio the target is judged on: 'gzip' (the input's gzip ÷ the output's; issue 17's "smaller gzip than fp32"
   * for the MNIST models, which ship fp32) or 'params' (fp32 params × 4 ÷ the output's gzip: issue 14's definition
   * for the real graph models, which ship uint8/fp16 weights whose fp32 form gzips to far less than 4 bytes a weight).
   */
  judgedOn: 'gzip' | 'params';
  budget: string;
  /** The quality column: the test drop (labelled data) or the top-1 agreement with the input model (no labels). */
  quality: 'drop' | 'agreement';
  prepare(cache: string | undefined, tmp: string): Promise<{ model: string; data: string; note: string }>;
}

const MNIST = (model: string, target: number): BenchModel => ({
  target, judgedOn: 'gzip', budget: 'drop<=0.3%', quality: 'drop',
  prepare: async () => ({ model: path.join('models', model), data: 'mnist', note: 'MNIST: trials judged on the 5,000-image validation split, the output on the 10,000-image test split' }),
});

const MODELS: Record<string, BenchModel> = {
  'mnist-lenet-300-100': MNIST('mnist-lenet-300-100', 50),
  'mnist-lenet5': MNIST('mnist-lenet5', 25),
  'nsfwjs-mobilenetv2': {
    target: 6, judgedOn: 'params', budget: 'agreement>=0.99', quality: 'agreement',
    async prepare(cache, tmp) {
      if (!cache) throw new Error('nsfwjs-mobilenetv2 needs --cache <dir> (node dist/bench/fetch-real-models.js --cache <dir> fills it)');
      // nsfwjs ships its weights converter-quantized (uint8, gzip 3.26 MB): the search's ratio is against the input
      // it is given, so it is given the fp32 model those weights decode to (gzip 17.2 MB), the baseline the target
      // and bench/results/real-models.md state their × against. Same function: the uint8 codes decode exactly.
      const shipped = await readGraphFiles(path.join(cache, 'nsfwjs', 'mobilenet_v2_mid', 'model.json'));
      const fp32 = rewriteGraph({ json: shipped.json, weights: shipped.weights, roles: shipped.roles, mode: 'float32', file: shipped.file });
      const model = (await writeGraphFolder({ out: path.join(tmp, 'fp32'), graph: fp32 })).modelJsonPath;
      const crops = await loadImageFolder({
        dir: path.join(cache, 'photos'), height: 224, width: 224, channels: 3, layout: 'NHWC', range: [0, 1],
        seed: 1, cropsPerImage: Math.ceil(CROPS / Object.keys(PHOTOS).length), limit: CROPS,
      });
      const data = path.join(tmp, 'crops.npy');
      writeFileSync(data, npyFloat32(crops.x, [crops.count, 224, 224, 3]));
      const rest = crops.count - CALIBRATION_HOLD_OUT;
      return {
        model, data,
        note: `nsfwjs MobileNetV2 (mid, MIT; its uint8 weights decoded to an fp32 model, the input and baseline): ${crops.count} seeded crops (seed 1) of the ${Object.keys(PHOTOS).length} scikit-image photos as one .npy; ` +
          `the pipeline holds ${CALIBRATION_HOLD_OUT} out for calibration, trials are judged on ${Math.ceil(rest / 2)} (validation), the output on the other ${Math.floor(rest / 2)} (test)`,
      };
    },
  },
};

/** Float32 parameters of a model as its manifest lists them (every float32 entry, whatever its storage), as real-models.ts counts them. */
function fp32Params(modelJson: string): number {
  const json = JSON.parse(readFileSync(modelJson, 'utf8')) as { weightsManifest: { weights: { dtype: string; shape: number[] }[] }[] };
  return json.weightsManifest.flatMap((g) => g.weights).filter((w) => w.dtype === 'float32').reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
}

const modelJsonOf = (p: string) => (p.endsWith('.json') ? p : path.join(p, 'model.json'));

/** A float32 C-order .npy (format 1.0), what --data takes as preprocessed samples. */
function npyFloat32(values: Float32Array, shape: number[]): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  header += `${' '.repeat(63 - ((10 + header.length) % 64))}\n`;
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(values.buffer, values.byteOffset, values.byteLength)]);
}

interface Row {
  model: string; budget: string; target: number; inputGzip: number; outputGzip: number;
  /** The input's gzip ÷ the output's. */
  ratio: number;
  /** fp32 params × 4 ÷ the output's gzip (issue 14's ratio), and which of the two the target is judged on (absent: 'gzip'). */
  fp32Params?: number; paramsRatio?: number; judgedOn?: 'gzip' | 'params';
  testDrop: number; testAccuracy: number;
  /** Top-1 agreement with the input model on the test split (the quality of an unlabelled budget); absent for MNIST rows. */
  testAgreement?: number; quality?: 'drop' | 'agreement'; samples?: number; data?: string;
  validation: string; trials: number; oneShot: number; fineTuned: number; seconds: number; stopReason: string; message: string; pass: boolean;
  chosen: string; load: { start: number[]; end: number[] }; backend: string; timeoutSeconds: number; createdAt: string;
  /** A caveat on a recorded row (written by hand into its JSON, e.g. that it predates a measurement fix). */
  note?: string;
}

async function run(name: string, bench: BenchModel, timeoutSeconds: number, cache: string | undefined): Promise<void> {
  const choice = await selectBackend({ backend: 'wasm' });
  await registerKernels();
  const tmp = mkdtempSync(path.join(os.tmpdir(), `budget-search-${name}-`));
  const out = path.join(tmp, 'out');
  try {
    const { model, data, note } = await bench.prepare(cache, tmp);
    console.error(`backend: ${choice.backend} (${choice.device}); load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${note}`);
    const load = os.loadavg();
    const started = Date.now();
    const r = await compress(model, out, {
      data, budget: bench.budget, search: { ...SEARCH_DEFAULTS, timeoutSeconds }, latency: false,
      onLog: (l) => console.error(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${l}`),
    });
    const seconds = (Date.now() - started) / 1000;
    const { report } = r;
    const chosen = report.trials.find((t) => t.id === report.search?.chosen);
    const row: Row = {
      model: name, budget: bench.budget, target: bench.target, inputGzip: report.input.metrics.gzipBytes, outputGzip: report.output.metrics.gzipBytes,
      ratio: report.input.metrics.gzipBytes / report.output.metrics.gzipBytes,
      fp32Params: fp32Params(modelJsonOf(model)), paramsRatio: (4 * fp32Params(modelJsonOf(model))) / report.output.metrics.gzipBytes, judgedOn: bench.judgedOn,
      testDrop: report.output.metrics.drop!, testAccuracy: report.output.metrics.accuracy!,
      testAgreement: report.output.metrics.agreement, quality: bench.quality, samples: report.evaluation?.samples, data: note,
      validation: chosen?.accuracyMargin?.verdict ?? (chosen ? `agreement ${(100 * (chosen.metrics.agreement ?? NaN)).toFixed(1)}%` : '–'), trials: report.trials.length,
      oneShot: report.trials.filter((t) => t.fineTuned === false || !t.config.steps.some((s) => Number(s.options.finetuneEpochs ?? 0) > 0)).length,
      fineTuned: report.trials.filter((t) => t.config.steps.some((s) => Number(s.options.finetuneEpochs ?? 0) > 0)).length,
      seconds, stopReason: report.search?.stopReason ?? '', message: report.budget?.message ?? '', pass: !!report.budget?.pass, chosen: chosen?.reason ?? '',
      load: { start: load, end: os.loadavg() }, backend: tf.getBackend(), timeoutSeconds, createdAt: new Date().toISOString(),
    };
    writeAtomically(path.join(RESULTS, `budget-search-${name}.json`), JSON.stringify({ row, trials: report.trials.map((t) => ({ id: t.id, reason: t.reason, gzip: t.metrics.gzipBytes, accuracy: t.metrics.accuracy, agreement: t.metrics.agreement, drop: t.metrics.drop, pass: t.pass, seconds: t.seconds })) }, null, 2) + '\n');
    console.log(JSON.stringify(row, null, 2));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Whether a row met its target: the ratio, the budget's quality on the test split, 30 minutes. */
function misses(r: Row): string[] {
  const judged = judgedRatio(r);
  const quality = r.quality === 'agreement' ? (r.testAgreement ?? 0) < 0.99 ? 'agreement < 99%' : '' : r.testDrop > 0.3 ? 'drop > 0.3 pt' : '';
  return [judged < r.target ? `${judged.toFixed(2)}× < ${r.target}× (${r.judgedOn === 'params' ? 'params×4 ÷ gzip' : 'gzip ÷ gzip'})` : '', quality, r.seconds > 1800 ? 'over 30 min' : ''].filter(Boolean);
}

/** The ratio a row's target is judged on (see BenchModel.judgedOn). */
const judgedRatio = (r: Row) => (r.judgedOn === 'params' ? r.paramsRatio! : r.ratio);

function report(): void {
  const rows = readdirSync(RESULTS).filter((f) => /^budget-search-.*\.json$/.test(f)).map((f) => (JSON.parse(readFileSync(path.join(RESULTS, f), 'utf8')) as { row: Row }).row)
    .map((r) => {
      // Rows from before the params ratio was recorded: the MNIST models are in models/, their fp32 params counted now.
      if (r.paramsRatio !== undefined || !r.model.startsWith('mnist-')) return r;
      const fp32 = fp32Params(modelJsonOf(path.join('models', r.model)));
      return { ...r, fp32Params: fp32, paramsRatio: (4 * fp32) / r.outputGzip, judgedOn: 'gzip' as const };
    });
  const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
  // The ratio a target is judged on, in bold.
  const mark = (r: Row, which: 'gzip' | 'params', v: number) => ((r.judgedOn ?? 'gzip') === which ? `**${v.toFixed(2)}×**` : `${v.toFixed(2)}×`);
  const lines = [
    '# Budget search without a written pipeline (issue 17)',
    '',
    '`compress <model> --data <data> --budget <budget>`, no steps: the search writes the pipeline (see src/pipeline/search/search.ts),',
    'judges trials on the validation split (a drop limit: drop + 1 paired SE) and the output on the test split, held out from both',
    'calibration and the choice. MNIST: `--data mnist --budget "drop<=0.3%"`; nsfwjs: `--data <crops.npy> --budget "agreement>=0.99"`',
    '(top-1 agreement with the fp32 model). Two ratios, both printed: **gzip ÷ gzip** (the input\'s files gzipped, each alone, over',
    'the output\'s: what the search minimises) and **fp32 params × 4 ÷ gzip** (every float32 parameter at 4 bytes over the output\'s',
    'gzip: issue 14\'s ratio for the real graph models). The target is judged on the bold one (see "Which ratio" below).',
    `Default limits (--max-trials ${SEARCH_DEFAULTS.maxTrials}, --timeout ${SEARCH_DEFAULTS.timeoutSeconds} s for the whole run). wasm backend, AMD EPYC, 2 cores;`,
    'the load average at start → end says whether a run had the machine alone (about 1–2: alone; more: shared, its wall time an upper',
    'bound). The wall times are the search\'s own budget under that load, not timings of the library.',
    '',
    '| model | target | gzip in → out | gzip ÷ gzip | fp32 params × 4 ÷ gzip | test quality | trials (one-shot / fine-tuned) | wall time | load avg | verdict |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((r) => `| ${r.model} | ≥ ${r.target}× ${r.judgedOn === 'params' ? 'params×4 ÷ gzip' : 'gzip ÷ gzip'}, ${r.quality === 'agreement' ? 'agreement ≥ 99%' : '≤ 0.3 pt'}, ≤ 30 min | ` +
      `${kb(r.inputGzip)} → ${kb(r.outputGzip)} | ${mark(r, 'gzip', r.ratio)} | ${mark(r, 'params', r.paramsRatio!)} (${(r.fp32Params! * 4 / 1e6).toFixed(2)} MB fp32) | ` +
      `${r.quality === 'agreement' ? `agreement ${(100 * (r.testAgreement ?? NaN)).toFixed(1)}% (${r.samples} crops)` : `drop ${r.testDrop.toFixed(2)} pt`} | ` +
      `${r.trials} (${r.oneShot} / ${r.fineTuned}) | ${(r.seconds / 60).toFixed(1)} min | ${r.load.start[0]!.toFixed(1)} → ${r.load.end[0]!.toFixed(1)} | ` +
      `${misses(r).length ? `FAIL (${misses(r).join(', ')})` : 'PASS'} |`),
    '',
    ...rows.flatMap((r) => [`- ${r.model}: budget ${r.pass ? 'met' : 'NOT met'}: ${r.message}. Output: ${r.chosen.length > 300 ? `${r.chosen.slice(0, r.chosen.indexOf(':'))} (per-kernel choices in the JSON)` : r.chosen}; stopped: ${r.stopReason}` +
      `${r.timeoutSeconds !== SEARCH_DEFAULTS.timeoutSeconds ? ` (--timeout ${r.timeoutSeconds} s)` : ''}.${r.data ? ` Data: ${r.data}.` : ''}${r.note ? ` **Note: ${r.note}**` : ''}`]),
    '',
    '## How the search spends the 30 minutes',
    '',
    'Every trial is in `budget-search-<model>.json`. Cheap before expensive: one-shot whole-model screens (storage',
    'formats, static int8), fine-tuning-free per-layer probes, the per-layer allocation path (magnitude sparsity ×',
    'shared codes) bisected with one-shot trials, then bisected again with screening fine-tunes (1 epoch of gradual',
    'pruning + 1 of shared-code training, about a third of the full cost), and the full fine-tune (5 + 2 epochs) only',
    'for the smallest screened pass and up to six path points below it; time left goes to a long fine-tune (10 + 3)',
    'of the smallest near miss. Last, narrower networks (channel-pruned and fine-tuned, or distilled into) and QAT, each',
    'only where its one-shot estimate can win. Decisions checked under load: budget-search-decisions.md.',
    'A graph model does not train: its search is the storage screens (float16; int8 and int4 weights calibrated with GPTQ',
    'and bias correction on the held-out calibration crops; static int8 only for a latency budget), then per-kernel shared codes.',
    'The calibrated int8 and int4 screens are `compress --quantize weights:int8|int4 --data` itself (the weight-format step:',
    'GPTQ, bias correction and, for int4, the bit choice of src/quantize/graph-mixed-bits.ts on the 64 calibration crops): one',
    'code path. The int4 screen reuses the int8 screen\'s calibration statistics, and its bit choice is cached the same way, so',
    'rebuilding the chosen candidate costs no second search. The choice is measured in full, not cut to the estimate: alone the',
    'int4 screen took 394 s of the 13.8-minute search (edd1c29), inside the 30 minutes; under load 10 (this session) the same compress --quantize weights:int4 took 22 minutes, calibration included.',
    'The input as it is is a candidate too (tried after the screens when no passing screen is smaller), so the search never',
    'answers with a bigger file than it was given.',
    '',
    '## Which ratio',
    '',
    'nsfwjs ships uint8 codes: its fp32 model (17.20 MB, 4,300,775 params) holds at most 256 distinct values per tensor and',
    'gzips to 4.96 MB, a baseline no one downloads. Issue 14, which the target points to for these models, defines their',
    'ratio as fp32 params × 4 ÷ the written bytes, gzip beside it, and bench/results/real-models.md states its 6.21× for the',
    'same model that way: **the nsfwjs target (≥ 6×) is judged on fp32 params × 4 ÷ gzip**, i.e. an output of at most',
    '2.87 MB gzip. The MNIST models ship fp32, and issue 17 states their targets as "smaller gzip than fp32": they stay judged',
    'on gzip ÷ gzip as before. The two do not coincide there: random-looking float32 weights still gzip to about 92% of their',
    'bytes (LeNet-300-100: 986,278 of 1,066,440 B; LeNet-5: 229,069 of 247,176 B), so params × 4 ÷ gzip reads 8% higher.',
    '',
    '## nsfwjs: why int8 measured 97.7% here and 100% in real-models',
    '',
    'Not the crops, preprocessing or calibration (both benches: seeded crops of the same 11 photos, RGB 224×224 /255 as nsfwjs',
    'does; the search calibrates on its 64 held-out crops, never on the judged ones; the reference is the fp32 model nsfwjs\'s',
    'uint8 codes decode to, numerically the model real-models loads). The search measured every written trial after reading',
    'it back, and reading back re-quantized a written int8/int4 model\'s codes (uint8 manifest entries) on a new zero-exact',
    'grid, up to half a code off: outputs 0.14 from what stock tfjs computes from the same files. Fixed in cfd4dec (a uint8',
    'weight still equal to its stored bytes is written back unchanged; tests: graph-adapter read-back, graph-calibration',
    'report-vs-stock). The same calibrated models, measured as stock tfjs loads them, on the search\'s splits:',
    '',
    '| model (compress --quantize … --data crops.npy) | gzip | fp32 params × 4 ÷ gzip | validation agreement / cosine | test agreement / cosine | flips: fp32 top-1 margin |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    '| calibrated weights:int8 | 3,960,812 B | 4.34× | 99.2% / 0.99991 | 100% / 0.99996 | validation 0.0087 |',
    '| calibrated weights:int4 (41 kernels int8: the estimate\'s choice, measured better) | 2,768,569 B | 6.21× | 97.7% / 0.99872 | 99.2% / 0.99894 | validation 0.0087, 0.024, 0.148; test 0.081 |',
    '',
    'int8 now passes (its one flip is a near-tie: 0.4921 vs 0.4834). int4 did not then: 3 of 128 validation crops flipped, one',
    'with a 0.148 margin, so the miss was int4\'s error on these crops (mean cosine 0.9987; real-models\' 100 crops: 0.99915),',
    'not ties. The fp32 margins on validation: min 0.0087, 5% 0.071, median 0.89; most crops are class 2 (97 of 128) or 0',
    '(29). Since the error-compensating calibration (3a7653a) the int4 screen keeps 99.2% within 2.86 MB and the 6× target',
    'is met (the table above; the runs in between are below, written by hand).',
    '',
    'Wall time depends on the load: rerun `node dist/bench/budget-search.js --model <model> [--cache <dir>]` alone, then `--report`.',
    '',
  ];
  writeGenerated(path.join(RESULTS, 'budget-search.md'), lines.join('\n'));
  console.log(lines.join('\n'));
}

const USAGE = `usage: node dist/bench/budget-search.js --model <${Object.keys(MODELS).join('|')}> [--cache <dir>] [--timeout s] | --report`;
const { values } = benchArgs({ options: { model: { type: 'string' }, timeout: { type: 'string' }, cache: { type: 'string' }, report: { type: 'boolean' } }, usage: USAGE });
const bench = values.model ? MODELS[values.model] : undefined;
if (values.report) report();
else if (values.model && bench) await run(values.model, bench, Number(values.timeout ?? SEARCH_DEFAULTS.timeoutSeconds), values.cache && path.resolve(values.cache));
else {
  console.error(USAGE);
  process.exitCode = 2;
}
