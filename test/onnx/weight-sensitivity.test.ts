import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeOnnx, encodeOnnx } from '../../src/formats/onnx/index.js';
import type { ModelProto, NodeProto } from '../../src/formats/onnx/proto.js';
import { forEachGraph } from '../../src/formats/onnx/walk.js';
import { attr } from '../../src/onnx/attrs.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { ONNX_QUANTIZE_MODES } from '../../src/onnx/modes.js';
import type { HostTensor } from '../../src/onnx/ort.js';
import { nodeRuntime } from '../../src/onnx/runtime.js';
import { modelOutputs, worstCosine } from '../../src/onnx/static-sensitivity.js';
import { weightsRatio } from '../../src/onnx/weight-sensitivity.js';

/**
 * The weight fallback's forms that cost no bytes over int8 (src/onnx/weight-sensitivity.ts), measured on sequences
 * run with their state fed back: a dynamic MatMul/Gemm inside a recurrence computed on dequantized int8 weights
 * instead of rounded activations, and a Conv filter bank's int8 scales per tap instead of per output channel.
 */
beforeAll(async () => { await tf.setBackend('cpu'); });
const runtime = nodeRuntime();
type Feeds = Record<string, HostTensor>;

/** Every DequantizeLinear feeding a node of `op`, with its axis. */
function dequantizedInputs(m: ModelProto, op: string): { node: string; axis?: number }[] {
  const out: { node: string; axis?: number }[] = [];
  const dqs: NodeProto[] = [];
  // In any graph: a main-graph weight is dequantized where it lives, and a branch reads it.
  forEachGraph(m.graph!, (g) => { dqs.push(...(g.node ?? []).filter((d) => d.opType === 'DequantizeLinear')); });
  forEachGraph(m.graph!, (g) => {
    for (const n of g.node ?? []) {
      if (n.opType !== op) continue;
      const dq = dqs.find((d) => n.input!.includes(d.output![0]!));
      if (dq) out.push({ node: n.name!, axis: dq.attribute?.find((a) => a.name === 'axis')?.i as number | undefined });
    }
  });
  return out;
}

/**
 * A small recurrent model: a windowed-DFT filter bank (Conv over a 256-sample frame, the way Silero VAD computes its
 * spectrum) → log magnitude → an RNN cell h' = tanh(W·[x, h]) whose state is an output fed back.
 */
function spectralRnn(): ModelProto {
  const b = new GraphBuilder('spectral_rnn');
  const taps = 256; const bins = 32; const hidden = 32;
  const x = b.input('x', [1, 1, taps]);
  const h = b.input('h', [1, hidden]);
  const basis = new Float32Array(2 * bins * taps);
  for (let k = 0; k < bins; k++) for (let n = 0; n < taps; n++) {
    const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / taps);
    basis[k * taps + n] = w * Math.cos((2 * Math.PI * k * n) / taps);
    basis[(bins + k) * taps + n] = w * Math.sin((2 * Math.PI * k * n) / taps);
  }
  let seed = 7;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 - 0.5; };
  const spec = b.op('Conv', [x, b.initializer('basis', [2 * bins, 1, taps], basis)], { name: 'stft' });
  const power = b.op('Mul', [spec, spec]);
  const logp = b.op('Log', [b.op('Add', [power, b.initializer('eps', [], [1e-6])])]);
  const feat = b.op('Reshape', [logp, b.initializer('flat', [2], [1, 2 * bins], 'int64')]);
  // One Gemm over [features, h], as an LSTM cell exported as one matrix: dynamic INT8 rounds h with the range of the
  // log powers (~ −14…4), and the recurrent matrix, past the edge of stability (tanh bounds it), carries the error on.
  const xh = b.op('Concat', [feat, h], { attrs: [attr.int('axis', 1)] });
  const w = Float32Array.from({ length: hidden * (2 * bins + hidden) }, (_, i) => rand() * (i % (2 * bins + hidden) < 2 * bins ? 0.1 : 1.2));
  const pre = b.op('Gemm', [xh, b.initializer('w', [hidden, 2 * bins + hidden], w)], { name: 'cell', attrs: [attr.int('transB', 1)] });
  b.node('Tanh', [pre], { outputs: ['hn'] });
  b.output('hn', [1, hidden]);
  return b.model({ opset: 13 });
}

/** 48 frames of a chirp with a slow amplitude swell: tones sweeping through the bins, loud and quiet. */
function frames(): Feeds[] {
  return Array.from({ length: 48 }, (_, f) => {
    const data = Float32Array.from({ length: 256 }, (_, n) => {
      const t = f * 256 + n;
      return (0.05 + 0.5 * Math.abs(Math.sin(f / 9))) * Math.sin(2 * Math.PI * (0.01 + t * 2e-6) * t);
    });
    return { x: { data, dims: [1, 1, 256] }, h: { data: new Float32Array(32), dims: [1, 32] } };
  });
}

describe('weight fallback: forms at no byte cost, measured over a sequence with its state fed back', () => {
  const model = spectralRnn();
  const steps = frames();
  const state = { h: 'hn' };
  const calibration = { batches: steps, total: steps.length, state };

  // dynamic: with the filter bank float (its int8 error, the next case, would hide the cell's), only the cell's int8
  // form differs; weights:int8: every weight int8, and no float weight keeps the weights 3.5× smaller.
  it.each([
    ['dynamic', 'weight-only', 'Gemm', ['stft'], 1],
    ['weights:int8', 'axis', 'Conv', [], 3.5],
  ] as const)('%s: picks %s for a %s, cosine rises as measured, weights stay ≥ minRatio smaller', async (mode, form, op, exclude, minRatio) => {
    const reference = await modelOutputs(runtime, model, steps, state);
    const plain = await ONNX_QUANTIZE_MODES[mode].run(model, { calibration, exclude, weightFallback: false });
    // Aim above what the plain pass gives, so the fallback runs.
    const fell = await ONNX_QUANTIZE_MODES[mode].run(model, { calibration, exclude, weightFallback: { cosine: 0.99999, minGain: 5e-4, minRatio, maxFloat: 0 } });
    const f = fell.report.weightFallback!;
    const [cosPlain, cosFell] = [worstCosine(reference, await modelOutputs(runtime, plain.model, steps, state)), worstCosine(reference, await modelOutputs(runtime, fell.model, steps, state))];
    expect(f.float.map((p) => p.form)).toContain(form);
    expect(f.before).toBeCloseTo(cosPlain, 6);
    expect(cosFell).toBeCloseTo(f.after, 6);
    expect(cosFell).toBeGreaterThan(cosPlain + 5e-4);
    expect(weightsRatio(model, fell.model)).toBeGreaterThanOrEqual(minRatio);
    const picked = f.float.find((p) => p.form === form)!;
    const dq = dequantizedInputs(fell.model, op).find((d) => d.node === picked.node);
    if (form === 'weight-only') {
      // The Gemm stays a float Gemm on DequantizeLinear(int8 weight, per output row of its transposed B).
      expect(dq).toEqual({ node: picked.node, axis: 0 });
      expect(fell.report.quantize!.quantized.find((q) => q.node === picked.node)!.weightOnly).toBe(true);
    } else {
      expect(picked).toMatchObject({ node: 'stft', axis: 2 });
      expect(dq).toEqual({ node: 'stft', axis: 2 });
    }
  }, 120_000);
});

describe('Silero VAD legacy on espeak-ng speech: the STFT basis with one int8 scale per tap', () => {
  const dir = 'test/fixtures/onnx-real';
  const vad = decodeOnnx(new Uint8Array(readFileSync(`${dir}/silero_vad_legacy.onnx`)), 'vad.onnx').model;
  const b = readFileSync(`${dir}/speech-16k.f32`);
  const audio = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const steps: Feeds[] = Array.from({ length: Math.floor(audio.length / 1536) }, (_, i) => ({
    input: { data: audio.slice(i * 1536, (i + 1) * 1536), dims: [1, 1536] },
    sr: { data: BigInt64Array.of(16000n), dims: [] },
    h: { data: new Float32Array(128), dims: [2, 1, 64] },
    c: { data: new Float32Array(128), dims: [2, 1, 64] },
  }));
  const state = { h: 'hn', c: 'cn' };

  // Per bin, the Hann window makes the edge taps small in every row, so scales per bin waste most of the int8 range
  // there; per tap the rounding error shrinks with the window. The hn state is the output that shows it.
  it.each(['weights:int8', 'dynamic'] as const)('%s: hn cosine per bin < per tap, and per tap ≥ 0.99', async (mode) => {
    const reference = await modelOutputs(runtime, vad, steps, state);
    const cos = async (m: ModelProto, name: string) => {
      const got = await modelOutputs(runtime, m, steps, state);
      return worstCosine(reference.map((r) => ({ [name]: r[name]! })), got.map((r) => ({ [name]: r[name]! })));
    };
    const perBin = await ONNX_QUANTIZE_MODES[mode].run(vad, { weightFallback: false });
    const perTap = await ONNX_QUANTIZE_MODES[mode].run(vad, { weightFallback: false, axes: { Conv_73: 2 } });
    expect(dequantizedInputs(perTap.model, 'Conv').find((d) => d.node === 'Conv_73')).toEqual({ node: 'Conv_73', axis: 2 });
    const [bin, tap] = [await cos(perBin.model, 'hn'), await cos(perTap.model, 'hn')];
    expect(tap).toBeGreaterThan(bin + 0.003);
    expect(tap).toBeGreaterThanOrEqual(0.99);
    expect(encodeOnnx(perTap.model).length).toBeLessThanOrEqual(encodeOnnx(perBin.model).length + 2048);
  }, 60_000);

  // float16 rounds the same basis to 11 bits, and hn is 0.99957 against a 0.9999 target. Two int8 terms per tap
  // (s₁·q₁ + s₂·q₂) take the bytes of fp16 and round it to about 15: the fallback picks that form for Conv_73.
  it('weights:float16: the fallback stores the basis as two int8 terms per tap, hn ≥ 0.9999 at ≥ 1.9×', async () => {
    const reference = await modelOutputs(runtime, vad, steps, state);
    const hn = async (m: ModelProto) => worstCosine(reference.map((r) => ({ hn: r.hn! })), (await modelOutputs(runtime, m, steps, state)).map((r) => ({ hn: r.hn! })));
    const plain = await ONNX_QUANTIZE_MODES['weights:float16'].run(vad, {});
    const fell = await ONNX_QUANTIZE_MODES['weights:float16'].run(vad, { calibration: { batches: steps, total: steps.length, state } });
    expect(fell.report.weightFallback!.float.map(({ node, form, axis }) => ({ node, form, axis }))).toEqual([{ node: 'Conv_73', form: 'pair', axis: 2 }]);
    expect(fell.report.weights!.weights.find((w) => w.weight === 'model.feature_extractor.forward_basis_buffer')).toMatchObject({ bits: 16, storage: 'int8x2' });
    const [before, after] = [await hn(plain.model), await hn(fell.model)];
    expect(before).toBeLessThan(0.9999);
    expect(after).toBeGreaterThanOrEqual(0.9999);
    expect(weightsRatio(vad, fell.model)).toBeGreaterThanOrEqual(1.9);
  }, 120_000);
});
