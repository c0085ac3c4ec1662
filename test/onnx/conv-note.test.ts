import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantizeDynamic } from '../../src/onnx/dynamic.js';
import { runCli } from '../cli/run.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { convModel } from './fixtures.js';

/**
 * Conv under dynamic INT8 (issue 15): onnxruntime's ConvInteger CPU kernel takes only uint8 × uint8, so Conv gets
 * int8 weights behind DequantizeLinear; --help says so and the CLI's report lists the Conv nodes as quantized.
 */
let dir: string;
beforeAll(async () => { dir = await makeTmpDir('shrinkml-conv-note-'); });
afterAll(() => removeTmpDir(dir));

describe('Conv under dynamic INT8', () => {
  it('shrinkml compress --help says what dynamic does to Conv, and why', async () => {
    const help = await runCli('compress', '--help');
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('--quantize dynamic MatMul/Gemm');
    expect(text).toMatch(/Conv: int8 weights per output channel behind DequantizeLinear \(onnxruntime's CPU ConvInteger runs only uint8 × uint8/);
  });

  it('the dynamic report lists the Conv nodes as quantized', () => {
    const { report } = quantizeDynamic(convModel());
    expect(report.quantized.filter((q) => q.op === 'Conv').length).toBe(2);
    expect(report.notes).toBeUndefined();
  });

  it('compress LeNet-5.onnx --quantize dynamic --json: conv1 and conv2 quantized with the Gemms', async () => {
    const out = path.join(dir, 'lenet5-dynamic.onnx');
    const r = await runCli('compress', 'models/onnx/mnist-lenet5.onnx', '--out', out, '--quantize', 'dynamic',
      '--data', 'mnist', '--limit', '100', '--no-latency', '--json');
    expect(r.code).toBe(0);
    // The pass's report is the ptq step's summary in report.json, as for every format.
    const { quantize } = JSON.parse(readFileSync(JSON.parse(r.stdout).reports.json, 'utf8')).steps[0].summary;
    expect(quantize.skipped).toEqual([]);
    expect(quantize.quantized.map((q: { op: string }) => q.op)).toEqual(['Conv', 'Conv', 'Gemm', 'Gemm', 'Gemm']);
  });

  it('static quantization quantizes the convolutions too', async () => {
    const out = path.join(dir, 'lenet5-static.onnx');
    const r = await runCli('compress', 'models/onnx/mnist-lenet5.onnx', '--out', out, '--quantize', 'static',
      '--data', 'mnist', '--limit', '100', '--calib-samples', '64', '--no-latency', '--json');
    expect(r.code).toBe(0);
    const { quantize } = JSON.parse(readFileSync(JSON.parse(r.stdout).reports.json, 'utf8')).steps[0].summary;
    expect(quantize.notes).toBeUndefined();
    expect(quantize.quantized.filter((q: { op: string }) => q.op === 'Conv').length).toBe(2);
  });
});
