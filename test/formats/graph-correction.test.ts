import * as tf from '@tensorflow/tfjs';
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backends/index.js';
import { gptqCodes, inverseUpperFactor } from '../../src/formats/graph/gptq.js';
import { outputError, outputShift } from '../../src/formats/graph/correction.js';
import { aroundReduction } from '../../src/formats/graph/quantize.js';
import { attrString, rewriteGraph, writeGraphFolder, type GraphCalibration, type GraphFiles, type GraphWeightMode, type WeightRole } from '../../src/formats/graph/index.js';
import { KernelStatsCollector, type KernelPlan } from '../../src/quantize/graph-kernel-stats.js';
import { calibrateGraphWeights } from '../../src/quantize/graph-static.js';
import { chooseGraphInt4Bits } from '../../src/quantize/graph-mixed-bits.js';
import { compareClasses as compare, emotionSetup, FIXTURES, stock } from './helpers.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { runCli } from '../cli/run.js';

/**
 * weights:int8/int4 with calibration data (docs/graph-models.md "Calibrated weight modes"): bias correction and GPTQ
 * rounding, each against a brute-force reference, then on the real emotion GraphModel through stock tf.loadGraphModel.
 */
let tmp: string;
beforeAll(async () => {
  await selectBackend({ backend: 'wasm' });
  tmp = await makeTmpDir();
});
afterAll(async () => removeTmpDir(tmp));

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
}

describe('GPTQ rounding against the direct sequential solve', () => {
  /** Damped H as gptq.ts damps it. */
  function damped(h: Float64Array, n: number): Float64Array {
    const a = Float64Array.from(h);
    let mean = 0;
    for (let k = 0; k < n; k++) mean += a[k * n + k]! / n;
    for (let k = 0; k < n; k++) a[k * n + k]! += 0.01 * mean;
    return a;
  }
  /** Solves A x = b by Gaussian elimination (small dense systems). */
  function solve(a: number[][], b: number[]): number[] {
    const n = b.length;
    const m = a.map((row, i) => [...row, b[i]!]);
    for (let c = 0; c < n; c++) {
      let p = c;
      for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
      [m[c], m[p]] = [m[p]!, m[c]!];
      for (let r = 0; r < n; r++) {
        if (r === c) continue;
        const f = m[r]![c]! / m[c]![c]!;
        for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
      }
    }
    return m.map((row, i) => row[n]! / row[i]!);
  }
  /**
   * The definition: round the inputs in order of decreasing E[x²] (act-order); after each, move the not-yet-rounded
   * values to the minimiser of (x − w)ᵀ H (x − w) with every rounded value fixed (x_R = w_R − H_RR⁻¹ H_RF (x_F − w_F)).
   */
  function reference(w: number[], h: Float64Array, s: number, qmax: number): number[] {
    const n = w.length;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => h[b * n + b]! - h[a * n + a]! || a - b);
    const x = [...w];
    const codes = new Array<number>(n);
    const done: number[] = [];
    for (const k of order) {
      codes[k] = Math.max(-qmax, Math.min(qmax, Math.round(x[k]! / s))) + 0;
      done.push(k);
      const rest = order.filter((i) => !done.includes(i));
      if (!rest.length) break;
      const hrr = rest.map((i) => rest.map((j) => h[i * n + j]!));
      const rhs = rest.map((i) => done.reduce((acc, j) => acc + h[i * n + j]! * (codes[j]! * s - w[j]!), 0));
      const d = solve(hrr, rhs);
      rest.forEach((i, r) => { x[i] = w[i]! - d[r]!; });
    }
    return codes;
  }

  it.each([[6, 7], [12, 7], [10, 127]])('K=%i, qmax %i: the same codes on 5 random correlated layers of 4 channels', (k, qmax) => {
    for (let seed = 1; seed <= 5; seed++) {
      const r = rng(seed);
      // Correlated inputs with a positive mean, like post-ReLU6 activations.
      const rows = 64;
      const mix = Array.from({ length: k * k }, () => r() - 0.3);
      const xs = Array.from({ length: rows }, () => { const z = Array.from({ length: k }, () => r()); return Array.from({ length: k }, (_, i) => z.reduce((a, v, j) => a + v * mix[i * k + j]!, 0.5)); });
      const h = new Float64Array(k * k);
      for (const x of xs) for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) h[i * k + j]! += (x[i]! * x[j]!) / rows;
      const n = 4;
      const values = Float32Array.from({ length: k * n }, () => (r() - 0.5) * 0.4);
      const s = 0.4 / (2 * qmax) * 1.3;
      const codes = gptqCodes({ values, pre: 1, size: k, post: n, qmax, scaleOf: () => s, hessian: () => h });
      const hd = damped(h, k);
      for (let c = 0; c < n; c++) {
        const w = Array.from({ length: k }, (_, i) => values[i * n + c]!);
        expect(Array.from({ length: k }, (_, i) => codes[i * n + c])).toEqual(reference(w, hd, s, qmax));
      }
    }
  });

  it('U is the upper factor of the damped H⁻¹ (UᵀU H = I)', () => {
    const n = 7;
    const r = rng(3);
    const a = Array.from({ length: n * n }, () => r() - 0.5);
    const h = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) h[i * n + j]! += a[i * n + k]! * a[j * n + k]!;
    const u = inverseUpperFactor(h, n);
    const hd = damped(h, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) expect(u[i * n + j]).toBe(0);
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let k = 0; k < n; k++) for (let m = 0; m < n; m++) v += u[m * n + i]! * u[m * n + k]! * hd[k * n + j]!;
        expect(v).toBeCloseTo(i === j ? 1 : 0, 9);
      }
    }
  });
});

describe('bias correction: the collected patch means predict the mean output error exactly', () => {
  it('reads string attrs in both model.json forms (base64 text; byte arrays from older converters, as USE-lite has)', () => {
    expect([attrString(btoa('SAME')), attrString([78, 72, 87, 67]), attrString(undefined)]).toEqual(['SAME', 'NHWC', undefined]);
  });

  const conv = (kind: 'conv' | 'depthwise', stride: number, padding: 'SAME' | 'VALID'): KernelPlan => ({
    weight: 'w', node: 'n', input: 'x', kind, size: kind === 'conv' ? 3 * 3 * 4 : 9,
    conv: { kh: 3, kw: 3, cin: 4, strides: [stride, stride], dilations: [1, 1], padding },
  });
  it.each([
    ['conv', 1, 'SAME'], ['conv', 2, 'SAME'], ['conv', 2, 'VALID'], ['depthwise', 1, 'SAME'], ['depthwise', 2, 'SAME'],
  ] as const)('%s stride %i %s: Σ e·E[patch] = mean over N, H, W of conv(x, Ŵ) − conv(x, W)', async (kind, stride, padding) => {
    const r = rng(stride * 7 + (kind === 'conv' ? 1 : 2));
    const shape = kind === 'conv' ? [3, 3, 4, 5] : [3, 3, 4, 2];
    const n = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: n }, () => r() - 0.5);
    const decoded = Float32Array.from(values, (v) => v + (r() - 0.3) * 0.05);
    const batches = [0, 1].map(() => tf.tensor4d(Float32Array.from({ length: 2 * 9 * 7 * 4 }, () => Math.min(6, Math.max(0, r() * 4 - 0.5))), [2, 9, 7, 4]));
    const collector = new KernelStatsCollector(conv(kind, stride, padding), false);
    for (const b of batches) await collector.collect(b);
    const role: WeightRole = kind === 'conv'
      ? { kind: 'conv', channelAxes: [3], reduceAxes: [0, 1, 2], readers: [] }
      : { kind: 'depthwise', channelAxes: [2, 3], reduceAxes: [0, 1], readers: [] };
    const predicted = outputShift({ shape, role, values, decoded, mean: collector.compute().mean });
    const pad = padding.toLowerCase() as 'same' | 'valid';
    const run = (w: Float32Array, x: tf.Tensor4D) => (kind === 'conv'
      ? tf.conv2d(x, tf.tensor4d(w, shape as [number, number, number, number]), stride, pad)
      : tf.depthwiseConv2d(x, tf.tensor4d(w, shape as [number, number, number, number]), stride, pad));
    const measured = tf.tidy(() => tf.concat(batches.map((x) => run(decoded, x).sub(run(values, x)))).mean([0, 1, 2]).dataSync());
    expect(predicted.length).toBe(measured.length);
    predicted.forEach((p, c) => expect(p).toBeCloseTo(measured[c]!, 5));
    tf.dispose(batches);
  });
});

// ---- the real depthwise GraphModel ------------------------------------------------------------------------------


describe('GPTQ with fewer calibration rows than the reduction (the Gram shrunk toward its diagonal)', () => {
  // Two calibration crops: emotion's 15×15 × 256 separable 1×1 conv sees 450 patch rows for a reduction of 256, its
  // stride-2 conv2d_4 128 rows for 128 — Grams GPTQ overfits (the error goes where those rows do not reach). Output
  // error of those two kernels at 4-bit blocks on the Gram of 32 other crops (measured, wasm): 0.0076 with GPTQ on
  // the sample Gram, 0.0040 with it shrunk toward its diagonal (rewrite.ts shrunkGram).
  it('lowers the held-out output error of the kernels with fewer than 2 × size calibration rows by ≥ 25% against GPTQ on the unshrunk Gram', async () => {
    const e = await emotionSetup({ compared: 16, calibration: 1 });
    const compared = e.x.dataSync() as Float32Array;
    e.x.dispose();
    const statsOf = async (x: Float32Array, n: number) => (await calibrateGraphWeights({ graph: e.graph, batches: [{ feed: { input_1: tf.tensor4d(x, [n, 64, 64, 1]) }, samples: n }], gptq: true })).calibration;
    const few = await statsOf(e.calib.x, e.calib.count);
    const held = await statsOf(compared, compared.length / 4096);
    // The old behaviour: the same statistics with a row count that makes the shrinkage vanish.
    const unshrunk = { ...few, kernels: Object.fromEntries(Object.entries(few.kernels).map(([k, s]) => [k, { ...s, gramRows: 1e15 }])) };
    const thin = Object.entries(few.kernels).filter(([k, s]) => s.gram && e.graph.roles.get(k)!.kind === 'conv' && (s.gramRows ?? s.rows) < 2 * Math.sqrt(s.gram.length)).map(([k]) => k);
    expect(thin.length).toBeGreaterThanOrEqual(2);
    const heldOutError = (c: GraphCalibration) => {
      const g = rewriteGraph({ json: e.graph.json, weights: e.graph.weights, roles: e.graph.roles, mode: 'int4', file: e.graph.file, calibration: { ...c, kernelWidths: {} } });
      return thin.reduce((sum, k) => {
        const w = e.graph.weights.find((x) => x.name === k)!;
        return sum + outputError({ values: w.values as Float32Array, decoded: g.values.get(k)!, view: aroundReduction(w.shape, e.graph.roles.get(k)!.reduceAxes), hessian: () => held.kernels[k]!.gram! });
      }, 0);
    };
    const shrunk = heldOutError(few);
    const plain = heldOutError(unshrunk);
    expect(shrunk).toBeLessThan(plain * 0.75);
  }, 120_000);
});

describe('human emotion (real depthwise GraphModel): calibrated weights:int8/int4 through stock tf.loadGraphModel', () => {
  let graph: GraphFiles;
  let x: tf.Tensor4D;
  let reference: Float32Array;
  let calibration: GraphCalibration;
  /** The calibration crops (32, other than the 40 compared) as the model's feeds, in two batches. */
  let feeds: () => tf.NamedTensorMap[];
  beforeAll(async () => {
    const e = await emotionSetup({ compared: 20, calibration: 16 });
    ({ graph, x, reference } = e);
    feeds = () => [0, 16].map((at) => ({ input_1: tf.tensor4d(e.calib.x.subarray(at * 4096, (at + 16) * 4096), [16, 64, 64, 1]) }));
    calibration = (await calibrateGraphWeights({ graph, batches: feeds().map((feed) => ({ feed, samples: 16 })), gptq: true })).calibration;
  });
  afterAll(() => x.dispose());

  const written = async (mode: GraphWeightMode, c: GraphCalibration | undefined, name: string) => {
    const g = rewriteGraph({ json: graph.json, weights: graph.weights, roles: graph.roles, mode, file: graph.file, calibration: c });
    const jsonPath = (await writeGraphFolder({ out: path.join(tmp, name), graph: g })).modelJsonPath;
    const model = await tf.loadGraphModel(stock(jsonPath));
    const y = model.predict(x) as tf.Tensor;
    const out = y.dataSync() as Float32Array;
    y.dispose();
    model.dispose();
    return { out, g };
  };
  /** Statistics without E[x xᵀ]: bias correction only. */
  const meansOnly = () => ({ ...calibration, kernels: Object.fromEntries(Object.entries(calibration.kernels).map(([k, s]) => [k, { ...s, gram: undefined }])) });

  // Measured on these 40 crops (wasm): int8 KL 0.00081 → 0.00015 (bias correction alone), cosine 0.99936 → 0.99990;
  // int4 KL 0.041 → 0.0098 (GPTQ + bias correction), cosine 0.973 → 0.994, agreement 80% → 92.5%.
  it('int8: bias correction alone lowers KL and raises cosine against the float model on other crops; agreement not worse', async () => {
    const free = compare(reference, (await written('int8', undefined, 'int8-free')).out);
    const { out, g } = await written('int8', meansOnly(), 'int8-bc');
    const corrected = compare(reference, out);
    // Every kernel: the 4 depthwise through their separable 1×1 conv into its bias, no new node.
    expect(g.correction).toEqual({ corrected: 13, fused: 0, skipped: [] });
    expect(corrected.kl).toBeLessThan(free.kl * 0.4);
    expect(1 - corrected.cos).toBeLessThan(1 - free.cos);
    expect(corrected.agreement).toBeGreaterThanOrEqual(free.agreement);
  });

  it('int4: GPTQ rounding + bias correction lower KL well below data-free int4; agreement not worse', async () => {
    const free = compare(reference, (await written('int4', undefined, 'int4-free')).out);
    const { out } = await written('int4', calibration, 'int4-gptq');
    const gptq = compare(reference, out);
    expect(gptq.kl).toBeLessThan(free.kl * 0.4);
    expect(1 - gptq.cos).toBeLessThan((1 - free.cos) * 0.5);
    expect(gptq.agreement).toBeGreaterThanOrEqual(free.agreement);
  });

  // Measured on these 40 held-out crops (wasm), bits searched on the 32 calibration crops. With the widths {4-bit
  // blocks, int8} alone (d5e6253): the estimate's choice KL 0.0098, agreement 92.5%; by measured sensitivity (6
  // kernels int8) KL 0.0081, agreement 95%, gzip 6.08×. With widths 4/5/6 bits per block or channel and int8: the
  // estimate's choice KL 0.0035 (agreement 80%: near-ties flip), by measured sensitivity (12 kernels widened: 5 int8,
  // 4 at 6 bits, 3 at 4 bits per channel) KL 0.0040, cosine 0.9973, agreement 92.5%, gzip 6.04×. With the per-channel
  // grid 3.58 … 7 bits: the estimate's choice KL 0.0027, agreement 90%; kept (the estimate's again, every kernel
  // per channel: 6 int8, 1 at 7 bits, 6 from 3.58 to 6 bits) KL 0.0022, cosine 0.9985, agreement 90% (four of
  // these 40 crops flip), gzip 6.05×.
  it('int4 bits by measured sensitivity over the per-channel grid: KL on the held-out crops ≤ 0.7× the whole widths\' (measured) and ≤ 0.35× the {4-bit blocks, int8} choice, gzip ratio still ≥ 6×', async () => {
    const estimated = await written('int4', calibration, 'int4-estimate');
    const held = feeds();
    const m = await chooseGraphInt4Bits({ graph, calibration, feeds: held });
    for (const f of held) tf.dispose(Object.values(f));
    const { out, g } = await written('int4', m.calibration, 'int4-measured');
    const before = compare(reference, estimated.out);
    const after = compare(reference, out);
    expect(m.report.gzipRatio).toBeGreaterThanOrEqual(6.03);
    const files = readdirSync(path.join(tmp, 'int4-measured'));
    const gzip = files.reduce((n, f) => n + gzipSync(readFileSync(path.join(tmp, 'int4-measured', f)), { level: 9 }).byteLength, 0);
    const fp32 = graph.weights.reduce((n, w) => n + (w.dtype === 'float32' ? w.shape.reduce((a, b) => a * b, 1) * 4 : 0), 0);
    expect(fp32 / gzip).toBeGreaterThanOrEqual(6);
    expect(g.rows.filter((r) => r.note?.includes('measured sensitivity')).map((r) => r.name).sort()).toEqual(Object.keys(m.report.kernelWidths).sort());
    expect(new Set(Object.values(m.report.kernelWidths)).size).toBeGreaterThanOrEqual(3);
    expect(m.report.after).toBeGreaterThanOrEqual(m.report.estimate);
    expect(after.kl).toBeLessThan(0.0040 * 0.7);
    expect(after.kl).toBeLessThan(0.0081 * 0.35);
    expect(before.kl).toBeLessThan(0.0035);
    expect(after.agreement).toBeGreaterThanOrEqual(0.9);
  }, 240_000);
});

describe('compress --quantize weights:int4 --data <photos> (the CLI)', () => {
  it('calibrates, says so in report.json, and writes a model stock tf.loadGraphModel loads; without --data no calibration', async () => {
    const args = (out: string, ...more: string[]) => ['compress', path.join(FIXTURES, 'emotion/emotion.json'), '--quantize', 'weights:int4', ...more, '--no-latency', '--backend', 'wasm', '--out', out];
    const out = path.join(tmp, 'cli-int4');
    const r = await runCli(...args(out, '--data', path.join(FIXTURES, 'photos'), '--input-range', '-1,1'));
    expect(r.code, r.stderr).toBe(0);
    const step = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')).steps.find((st: any) => st.step === 'weight-format');
    expect(step.summary.calibration).toMatchObject({ samples: 2, biasCorrection: 13, gptq: 12, compensated: 13 });
    // The long parts say how far they are: the measured bit choice, the compensation's stages, the writer's encoding.
    for (const phase of ['int4 sensitivity', 'error compensation', 'encode']) expect(r.stderr).toMatch(new RegExp(`^${phase} (\\d+)/\\1 \\(100%\\)`, 'm'));
    // int4 with data: the kernels kept int8 are chosen on the model's outputs (quantize/graph-mixed-bits.ts), then every
    // calibrated kernel is fitted to the float output from its quantized input (quantize/graph-compensate.ts).
    expect(['measured', 'estimate']).toContain(step.summary.calibration.bitChoice);
    expect(step.summary.calibration.gzipRatio).toBeGreaterThanOrEqual(6);
    const model = await tf.loadGraphModel(stock(path.join(out, 'model.json')));
    const y = model.predict(tf.zeros([1, 64, 64, 1])) as tf.Tensor;
    expect(Math.abs(y.sum().dataSync()[0]! - 1)).toBeLessThan(1e-4);
    model.dispose();
    const free = path.join(tmp, 'cli-int4-free');
    expect((await runCli(...args(free))).code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(free, 'report.json'), 'utf8')).steps.find((st: any) => st.step === 'weight-format').summary.calibration).toBeUndefined();
  }, 180_000);
});
