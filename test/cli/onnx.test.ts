import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { runCli } from './run.js';

const lenet = path.resolve(import.meta.dirname, '../../models/mnist-lenet-300-100');
let dir: string;
beforeAll(async () => { dir = await makeTmpDir('shrinkml-cli-onnx-'); });
afterAll(() => removeTmpDir(dir));

describe('ONNX through the CLI', () => {
  it('convert → inspect → eval agrees with the tfjs model on MNIST', async () => {
    const out = path.join(dir, 'lenet.onnx');
    const c = await runCli('convert', lenet, '--to', 'onnx', '--out', out, '--json');
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout).path).toBe(out);

    const inspect = JSON.parse((await runCli('inspect', out, '--json')).stdout);
    expect(inspect.kind).toBe('onnx');
    expect(inspect.params).toBe(266_610);
    expect(inspect.onnx.quantization).toBe('none');
    expect(inspect.layers.map((l: { weightBits: number }) => l.weightBits)).toEqual(Array(6).fill(32));

    const e = await runCli('eval', out, '--data', 'mnist', '--limit', '500', '--reference', lenet, '--backend', 'cpu',
      '--runs', '3', '--warmup', '1', '--batch-sizes', '1', '--budget', 'drop<=0%,agreement>=1,p50<=1s', '--json');
    expect(e.code).toBe(0);
    const m = JSON.parse(e.stdout);
    expect(m.samples).toBe(500);
    expect(m.agreement).toBe(1);
    expect(m.drop).toBe(0);
    expect(m.accuracy).toBeGreaterThan(0.95);
    expect(m.latency.p50Ms).toBeGreaterThan(0);
    expect(m.budget.pass).toBe(true);
  });

  it('compress model.onnx --quantize dynamic writes an int8 ONNX model that agrees with the input', async () => {
    const src = path.resolve(import.meta.dirname, '../../models/onnx/mnist-lenet-300-100.onnx');
    const out = path.join(dir, 'dynamic.onnx');
    const r = await runCli('compress', src, '--out', out, '--quantize', 'dynamic', '--data', 'mnist', '--limit', '300',
      '--no-latency', '--budget', 'drop<=0.5%,size<=300KB', '--json');
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.size.bytes).toBeLessThan(0.3 * 1_067_214);
    expect(m.agreement).toBeGreaterThan(0.98);
    expect(m.budget.pass).toBe(true);
    const inspect = JSON.parse((await runCli('inspect', out, '--json')).stdout);
    expect(inspect.onnx.quantization).toBe('dynamic-int8');
  });

  it.each([
    ['a step ONNX has no implementation of', ['--distill-from', 'source'], /steps\[0\] 'distill' does not run on ONNX models \(it runs on: TensorFlow\.js Layers\)/],
    ['options the ONNX step cannot do', ['--prune', '2:4'], /steps\[0\] 'prune' on ONNX models: N:M pruning/],
    ['fine-tuning', ['--prune', 'magnitude:0.5', '--finetune-epochs', '1'], /one-shot \(no fine-tuning\)/],
    ['static without data', ['--quantize', 'static'], /needs calibration data/],
    ['an --out that is not .onnx', ['--quantize', 'dynamic', '--out-override', 'x.json'], /written as a \.onnx file/],
  ])('compress model.onnx refuses %s, writing nothing', async (_name, args, message) => {
    const src = path.resolve(import.meta.dirname, '../../models/onnx/mnist-lenet-300-100.onnx');
    const override = args.indexOf('--out-override');
    const out = path.join(dir, override >= 0 ? args[override + 1]! : 'refused.onnx');
    const rest = override >= 0 ? args.slice(0, override) : args;
    const r = await runCli('compress', src, '--out', out, ...rest);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(out.replace(/\.(onnx|json)$/, '.lineage.json'))).toBe(false);
  });

  it.each([
    ['an --out without .onnx', ['--to', 'onnx', '--out', 'x.bin'], /must end in \.onnx/],
    ['an unknown target', ['--to', 'tflite', '--out', 'x.onnx'], /tflite/],
  ])('convert refuses %s', async (_name, args, message) => {
    const r = await runCli('convert', lenet, ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
