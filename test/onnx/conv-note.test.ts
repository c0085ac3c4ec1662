import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quantizeDynamic } from '../../src/onnx/dynamic.js';
import { runCli } from '../cli/run.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { convModel } from './fixtures.js';

/**
 * The ConvInteger point: onnxruntime's ConvInteger CPU kernel takes only uint8 × uint8, so `--quantize
 * dynamic` leaves Conv float; --help says so, and the report carries a note naming the Conv nodes.
 */
let dir: string;
beforeAll(async () => { dir = await makeTmpDir('shrinkml-conv-note-'); });
afterAll(() => removeTmpDir(dir));

describe('Conv under dynamic INT8', () => {
  it('shrinkml compress --help says Conv stays float under --quantize dynamic, and why', async () => {
    const help = await runCli('compress', '--help');
    expect(help.code).toBe(0);
    const text = help.stdout.replace(/\s+/g, ' ');
    expect(text).toContain('--quantize dynamic MatMul/Gemm');
    expect(text).toMatch(/Conv stays float: onnxruntime's ConvInteger CPU kernel takes only uint8 weights/);
  });

  it('the dynamic report notes the Conv nodes left float', () => {
    const { report } = quantizeDynamic(convModel());
    const convs = report.skipped.filter((s) => s.op === 'Conv').map((s) => s.node);
    expect(convs.length).toBe(2);
    expect(report.notes).toEqual([expect.stringMatching(new RegExp(`^Conv left float \\(${convs.join(', ')}\\): onnxruntime's ConvInteger`))]);
  });

  it('compress LeNet-5.onnx --quantize dynamic --json: the report names conv1 and conv2 as left float', async () => {
    const out = path.join(dir, 'lenet5-dynamic.onnx');
    const r = await runCli('compress', 'models/onnx/mnist-lenet5.onnx', '--out', out, '--quantize', 'dynamic',
      '--data', 'mnist', '--limit', '100', '--no-latency', '--json');
    expect(r.code).toBe(0);
    const { quantize } = JSON.parse(r.stdout).report;
    expect(quantize.notes).toEqual([expect.stringMatching(/^Conv left float \(conv1, conv2\): onnxruntime's ConvInteger CPU kernel takes only uint8 weights/)]);
    expect(quantize.skipped.map((s: { node: string; op: string }) => [s.node, s.op])).toEqual([['conv1', 'Conv'], ['conv2', 'Conv']]);
    expect(quantize.quantized.map((q: { op: string }) => q.op)).toEqual(['Gemm', 'Gemm', 'Gemm']);
  });

  it('static quantization has no such note: it quantizes the convolutions', async () => {
    const out = path.join(dir, 'lenet5-static.onnx');
    const r = await runCli('compress', 'models/onnx/mnist-lenet5.onnx', '--out', out, '--quantize', 'static',
      '--data', 'mnist', '--limit', '100', '--calib-samples', '64', '--no-latency', '--json');
    expect(r.code).toBe(0);
    const { quantize } = JSON.parse(r.stdout).report;
    expect(quantize.notes).toBeUndefined();
    expect(quantize.quantized.filter((q: { op: string }) => q.op === 'Conv').length).toBe(2);
  });
});
