import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeOnnx, encodeOnnx } from '../../src/formats/onnx/index.js';
import type { ModelProto } from '../../src/formats/onnx/proto.js';
import { ONNX_QUANTIZE_MODES } from '../../src/onnx/modes.js';
import { createSession, runSession } from '../../src/onnx/runtime.js';
import { withoutPairs, worstCosine } from '../../src/onnx/static-sensitivity.js';
import { weightsRatio } from '../../src/onnx/weight-sensitivity.js';

/**
 * Static QDQ's sensitivity-driven float fallback (src/onnx/static-sensitivity.ts) on a real model: PaddleOCR's
 * opset-9 text-direction classifier on photos (test/fixtures/onnx-real). Fully quantized, the global average pool's
 * uint8 pair costs the most; measured on the calibration batches, it stays float, and the file is as small
 * (weights ratio ≥ 3.5×: no bias scale is stored, Conv weights need no zero point).
 */
const dir = 'test/fixtures/onnx-real';
const cls = decodeOnnx(new Uint8Array(readFileSync(`${dir}/ch_ppocr_mobile_v2.0_cls_infer.onnx`)), 'cls.onnx').model;
const b = readFileSync(`${dir}/photos-3x3x48x192.f32`);
const photos = { x: { data: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), dims: [3, 3, 48, 192] } };

beforeAll(async () => { await tf.setBackend('cpu'); });

async function outputs(model: ModelProto): Promise<Record<string, Float32Array>[]> {
  const session = await createSession(encodeOnnx(model));
  try {
    const r = await runSession(session, photos);
    return [Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.data as Float32Array]))];
  } finally { await session.release(); }
}

describe('static QDQ: float fallback by measured sensitivity', () => {
  it('PaddleOCR cls on photos: the costliest activation pairs stay float, cosine rises to ≥ 0.999 at ≥ 3.5× weights', async () => {
    const reference = await outputs(cls);
    const calibration = { batches: [photos], total: 3 };
    const all = await ONNX_QUANTIZE_MODES.static.run(cls, { calibration, fallback: false });
    // On these photos the fully quantized model is at 0.9981, just above the default target (0.998): aim higher.
    const fell = await ONNX_QUANTIZE_MODES.static.run(cls, { calibration, fallback: { cosine: 0.9995 } });
    const [cosAll, cosFell] = [worstCosine(reference, await outputs(all.model)), worstCosine(reference, await outputs(fell.model))];
    const f = fell.report.quantize!.fallback!;
    expect(all.report.quantize!.fallback).toBeUndefined();
    expect(f.before).toBeCloseTo(cosAll, 6);
    expect(f.float.length).toBeGreaterThanOrEqual(1);
    expect(f.float.length).toBeLessThanOrEqual(Math.ceil(all.report.quantize!.activations!.length / 8));
    expect(cosFell).toBeCloseTo(f.after, 6);
    expect(cosFell).toBeGreaterThan(cosAll);
    expect(cosFell).toBeGreaterThanOrEqual(0.999);
    expect(fell.notes.join('; ')).toMatch(/activation pairs left float by sensitivity/);
    // The pairs left float are gone from the file; the others are still there.
    const qs = (m: ModelProto) => m.graph!.node!.filter((n) => n.opType === 'QuantizeLinear').length;
    expect(qs(fell.model)).toBe(qs(all.model) - f.float.length);
    expect(weightsRatio(cls, fell.model)).toBeGreaterThanOrEqual(3.5);
  }, 120_000);

  it('withoutPairs of every pair: no QuantizeLinear left, and the outputs are those of the int8 weights alone', async () => {
    const all = await ONNX_QUANTIZE_MODES.static.run(cls, { calibration: { batches: [photos], total: 3 }, fallback: false });
    const none = withoutPairs(all.model, all.report.quantize!.activations!.map((a) => a.tensor));
    expect(none.graph!.node!.some((n) => n.opType === 'QuantizeLinear')).toBe(false);
    expect(all.model.graph!.node!.some((n) => n.opType === 'QuantizeLinear')).toBe(true); // the input is not edited
    const reference = await outputs(cls);
    // Int8 weights with float activations: within the fidelity of weights:int8 on the same photos.
    const int8 = await ONNX_QUANTIZE_MODES['weights:int8'].run(cls, {});
    expect(worstCosine(reference, await outputs(none))).toBeGreaterThanOrEqual(worstCosine(reference, await outputs(int8.model)) - 1e-3);
  }, 60_000);
});

describe('weight modes: float fallback by measured sensitivity', () => {
  it('PaddleOCR cls weights:int8, aiming above what int8 gives: the node that helps most stays float, weights ≥ minRatio smaller', async () => {
    const reference = await outputs(cls);
    const calibration = { batches: [photos], total: 3 };
    const plain = await ONNX_QUANTIZE_MODES['weights:int8'].run(cls, { calibration, weightFallback: false });
    const options = { cosine: 0.99999, minRatio: 3.3, maxFloat: 1, minGain: 1e-5 };
    const fell = await ONNX_QUANTIZE_MODES['weights:int8'].run(cls, { calibration, weightFallback: options });
    const f = fell.report.weightFallback!;
    expect(plain.report.weightFallback).toBeUndefined();
    expect(f.float.length).toBe(1);
    expect(fell.report.weights!.weights.some((w) => w.reason === 'excluded')).toBe(true);
    const [cosPlain, cosFell] = [worstCosine(reference, await outputs(plain.model)), worstCosine(reference, await outputs(fell.model))];
    expect(f.before).toBeCloseTo(cosPlain, 6);
    expect(cosFell).toBeCloseTo(f.after, 6);
    expect(cosFell).toBeGreaterThan(cosPlain);
    expect(weightsRatio(cls, fell.model)).toBeGreaterThanOrEqual(3.3);
    expect(weightsRatio(cls, fell.model)).toBeCloseTo(f.ratio, 6);
    expect(fell.notes.at(-1)).toMatch(new RegExp(`^weights of '${f.float[0]!.node}' left float by sensitivity`));
  }, 120_000);
});
