import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeOnnx, encodeOnnx } from '../../src/formats/onnx/index.js';
import type { ModelProto } from '../../src/formats/onnx/proto.js';
import { ONNX_QUANTIZE_MODES, type OnnxQuantizeMode } from '../../src/onnx/modes.js';
import type { HostTensor } from '../../src/onnx/ort.js';
import { createSession, runSession } from '../../src/onnx/runtime.js';

/**
 * Two real pretrained models (test/fixtures/onnx-real, licences there) through quantization in onnxruntime-node, on
 * real inputs: PaddleOCR's opset-9 classifier (Constant-node weights, upgraded in-tool) on photos, and Silero VAD
 * (4 inputs: audio, sample rate, LSTM h/c; If branches holding the convolutions and LSTMs) on espeak-ng speech fed
 * frame by frame with its state fed back. The full matrix is bench/results/real-onnx.md.
 */
const dir = 'test/fixtures/onnx-real';
const load = (f: string) => decodeOnnx(new Uint8Array(readFileSync(`${dir}/${f}`)), f).model;
const f32 = (f: string) => { const b = readFileSync(`${dir}/${f}`); return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)); };

beforeAll(async () => { await tf.setBackend('cpu'); });

/** Runs `steps` in order; the outputs named in `state` feed the inputs named by its keys at the next step. */
async function run(model: ModelProto, steps: Record<string, HostTensor>[], state: Record<string, string> = {}): Promise<Record<string, Float32Array>[]> {
  const session = await createSession(encodeOnnx(model));
  const out: Record<string, Float32Array>[] = [];
  try {
    let carried: Record<string, HostTensor> = {};
    for (const s of steps) {
      const r = await runSession(session, { ...s, ...carried });
      out.push(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.data as Float32Array])));
      carried = Object.fromEntries(Object.entries(state).map(([i, o]) => [i, r[o]!]));
    }
  } finally { await session.release(); }
  return out;
}

function cosine(a: Record<string, Float32Array>[], b: Record<string, Float32Array>[], name: string): number {
  let dot = 0; let na = 0; let nb = 0;
  a.forEach((r, s) => r[name]!.forEach((x, i) => { const y = b[s]![name]![i]!; dot += x * y; na += x * x; nb += y * y; }));
  return dot / Math.sqrt(na * nb);
}

describe('real models through quantization (onnxruntime-node)', () => {
  const cls = load('ch_ppocr_mobile_v2.0_cls_infer.onnx');
  const photos = { x: { data: f32('photos-3x3x48x192.f32'), dims: [3, 3, 48, 192] } };

  it.each([
    ['dynamic', 2.8, 0.999],
    ['weights:int8', 2.8, 0.999],
    ['weights:float16', 1.9, 0.99999],
  ] as const)('PaddleOCR cls (opset 9) %s: ≥ %f× smaller, same classes, cosine ≥ %f (opset upgraded to 13 where the mode needs it)', async (mode, ratio, cos) => {
    const r = await ONNX_QUANTIZE_MODES[mode as OnnxQuantizeMode].run(cls, { file: 'cls.onnx' });
    if (mode !== 'weights:float16') expect(r.notes[0]).toMatch(/^opset upgraded from 9 to 13 \(rewritten: Clip-11: 18, Slice-10: 1, Softmax-13: 1\)/);
    expect(encodeOnnx(cls).length / encodeOnnx(r.model).length).toBeGreaterThanOrEqual(ratio);
    const [a, b] = [await run(cls, [photos]), await run(r.model, [photos])];
    const name = Object.keys(a[0]!)[0]!;
    expect(cosine(a, b, name)).toBeGreaterThanOrEqual(cos);
    const argmax = (v: Float32Array) => [0, 1, 2].map((i) => (v[2 * i]! > v[2 * i + 1]! ? 0 : 1));
    expect(argmax(b[0]![name]!)).toEqual(argmax(a[0]![name]!));
  });

  const vad = load('silero_vad_legacy.onnx');
  const audio = f32('speech-16k.f32');
  const frames = Array.from({ length: audio.length / 1536 }, (_, i) => ({
    input: { data: audio.slice(i * 1536, (i + 1) * 1536), dims: [1, 1536] },
    sr: { data: BigInt64Array.of(16000n), dims: [] },
    h: { data: new Float32Array(128), dims: [2, 1, 64] },
    c: { data: new Float32Array(128), dims: [2, 1, 64] },
  }));

  // static: the convolutions and LSTMs are all inside If branches, which calibration cannot observe; their weights
  // are stored int8 weight-only, so static compresses as much as weights:int8.
  it.each(['dynamic', 'weights:int8', 'static'] as const)('Silero VAD (4 inputs, If branches, LSTM) %s: ≥ 3.3× smaller, same speech/silence decisions', async (mode) => {
    // The pass as it is (test/onnx/static-sensitivity.test.ts covers the weight fallback, which would float a Conv).
    const r = await ONNX_QUANTIZE_MODES[mode].run(vad, { calibration: { batches: frames.slice(0, 8), total: 8 }, weightFallback: false });
    if (mode === 'static') expect(r.notes.join('; ')).toMatch(/weights static QDQ does not reach .* stored int8 weight-only/);
    if (mode === 'dynamic') {
      expect(r.report.quantize!.quantized.filter((q) => q.op === 'LSTM').length).toBe(8);
      expect(r.report.quantize!.quantized.filter((q) => q.op === 'Conv').length).toBeGreaterThanOrEqual(30);
    }
    expect(encodeOnnx(vad).length / encodeOnnx(r.model).length).toBeGreaterThanOrEqual(3.3);
    const state = { h: 'hn', c: 'cn' };
    const [a, b] = [await run(vad, frames, state), await run(r.model, frames, state)];
    const speech = (o: Record<string, Float32Array>[]) => o.map((s) => s.output![0]! > 0.5);
    expect(speech(a).filter(Boolean).length).toBeGreaterThanOrEqual(4);
    expect(speech(a).filter((x) => !x).length).toBeGreaterThanOrEqual(2);
    expect(speech(b)).toEqual(speech(a));
    expect(cosine(a, b, 'output')).toBeGreaterThan(0.99);
  });
});
