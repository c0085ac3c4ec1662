import * as tf from '@tensorflow/tfjs';
import { promises as fsp, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { encodeOnnx } from '../../src/formats/onnx/encode.js';
import { onnx, type ModelProto } from '../../src/formats/onnx/proto.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { editModelJson, writeFixtureModel } from '../fixtures/models.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { mlpModel, seeded } from '../onnx/fixtures.js';
import { expectCli, fingerprint, ROOT } from './harness.js';

/**
 * Broken models, each through the commands that read them (inspect, eval, compress --out): one line naming the
 * file and the problem, exit 2, nothing written, the broken input left as it was.
 */
let tmp: string;
let n = 0;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await makeTmpDir('shrinkml-reliability-models-');
});
afterAll(() => removeTmpDir(tmp));

const shard = 'group1-shard1of1.bin';

/** name, how to break a fresh fixture model folder, the one error line. */
type TfjsCase = [string, (dir: string, json: string) => Promise<unknown>, RegExp];
const TFJS: TfjsCase[] = [
  ['truncated shard', (d) => fsp.truncate(path.join(d, shard), 100), /model\.json: weight shard group1-shard1of1\.bin holds 100 bytes but the manifest needs 268 \(truncated\)/],
  ['extra bytes in the shard', (d) => fsp.appendFile(path.join(d, shard), new Uint8Array(4)), /holds 272 bytes but the manifest needs 268 \(too long\)/],
  ['missing shard', (d) => fsp.rm(path.join(d, shard)), /model\.json: weight shard group1-shard1of1\.bin is missing/],
  ['path traversal in the manifest', (_, j) => editModelJson(j, (m) => { m.weightsManifest[0].paths = ['../outside.bin']; }), /weight path '\.\.\/outside\.bin' leaves the model's folder/],
  ['absolute path in the manifest', (_, j) => editModelJson(j, (m) => { m.weightsManifest[0].paths = ['/etc/passwd']; }), /weight path '\/etc\/passwd' leaves/],
  ['malformed JSON', (_, j) => fsp.writeFile(j, '{"modelTopology": {'), /model\.json: malformed JSON/],
  ['no weights manifest', (_, j) => editModelJson(j, (m) => { delete m.weightsManifest; }), /model\.json: missing weightsManifest/],
  ['unknown layer class', (_, j) => editModelJson(j, (m) => { m.modelTopology.config.layers[1].class_name = 'FancyDense'; }), /model\.json: unknown layer class 'FancyDense'/],
  ['weights that do not match the layers', (_, j) => editModelJson(j, (m) => { m.weightsManifest[0].weights[2].name = 'other/kernel'; }), /model\.json: cannot build the layers model/],
  ['huge shape', (_, j) => editModelJson(j, (m) => { m.weightsManifest[0].weights[0].shape = [70000, 70000]; }), /model\.json: weight 'hidden\/kernel' declares shape \[70000, 70000\]/],
  ['unknown quantization dtype', (_, j) => editModelJson(j, (m) => { m.weightsManifest[0].weights[0].quantization = { dtype: 'int4' }; }), /weight 'hidden\/kernel' has unsupported quantization/],
  ['unknown weight dtype', (_, j) => editModelJson(j, (m) => { m.weightsManifest[0].weights[0].dtype = 'float128'; }), /model\.json: .*hidden\/kernel.*float128/],
  ['NaN weights', async (d) => {
    const data = new Float32Array(Uint8Array.from(readFileSync(path.join(d, shard))).buffer);
    data[33] = NaN;
    await fsp.writeFile(path.join(d, shard), new Uint8Array(data.buffer));
  }, /weight 'hidden\/bias' has 1 non-finite value .*\(pass --allow-nonfinite to load it anyway\)|--allow-nonfinite/],
  ['a folder without model.json', (d, j) => fsp.rm(j), /model\.json|no model/i],
];

async function brokenTfjs(breakIt: TfjsCase[1]): Promise<string> {
  const dir = path.join(tmp, `tfjs${n++}`);
  await writeFixtureModel({ kind: 'sequential', dir });
  await breakIt(dir, path.join(dir, 'model.json'));
  return dir;
}

describe('broken TensorFlow.js models', () => {
  it.each(TFJS)('%s: inspect, eval and compress refuse it in one line and write nothing', async (_, breakIt, error) => {
    const dir = await brokenTfjs(breakIt);
    const untouched = { [dir]: fingerprint(dir) };
    const out = path.join(tmp, `out${n++}`);
    await expectCli(['inspect', dir], { code: 2, error, untouched });
    await expectCli(['eval', dir, '--no-latency', '--backend', 'cpu'], { code: 2, error, untouched });
    await expectCli(['compress', dir, '--out', out, '--backend', 'cpu', '--no-latency', '--quantize', 'weights:uint8'], {
      code: 2, error, untouched, absent: [out], clean: [tmp],
    });
  });
});

const LENET = path.join(ROOT, 'models/onnx/mnist-lenet-300-100.onnx');

/** name, the file's bytes, the one error line of `eval` (which also builds an onnxruntime session). */
type OnnxCase = [string, () => Uint8Array, RegExp];
const edit = (change: (m: ModelProto) => void) => () => {
  const m = mlpModel();
  change(m);
  return encodeOnnx(m);
};
const ONNX: OnnxCase[] = [
  ['truncated', () => new Uint8Array(readFileSync(LENET).subarray(0, 50_000)), /x\.onnx: /],
  ['random bytes', () => { const r = seeded(3); return Uint8Array.from({ length: 4096 }, () => Math.floor(r() * 256)); }, /x\.onnx: /],
  // The graph-validity rows (unknown op, opset, cycle, duplicates): inspect names them with its own checks
  // (src/onnx/opset/validate.ts), eval and compress as onnxruntime refuses them; one line either way.
  ['an unknown op', edit((m) => { m.graph!.node![1]!.opType = 'FancyOp'; }), /x\.onnx: .*FancyOp/],
  ['10^12-element dims', edit((m) => { m.graph!.initializer![0]!.dims = [1_000_000, 1_000_000]; }), /x\.onnx: .*(limit|1000000)/i],
  ['external data outside the folder', edit((m) => {
    const t = m.graph!.initializer![0]!;
    t.rawData = new Uint8Array(0);
    t.floatData = [];
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: '../outside.bin' })];
  }), /x\.onnx: .*external/i],
  ['IR version above 10', edit((m) => { m.irVersion = 11; }), /x\.onnx: .*IR version 11/i],
  ['a future opset', edit((m) => { m.opsetImport![0]!.version = 999; }), /x\.onnx: .*(opset|999)/i],
  ['a cycle', () => {
    const b = new GraphBuilder('cycle');
    const x = b.input('x', ['N', 4]);
    b.node('Add', [x, 'b'], { outputs: ['a'] });
    b.node('Relu', ['a'], { outputs: ['b'] });
    b.output('b', ['N', 4]);
    return encodeOnnx(b.model());
  }, /x\.onnx: .*(cycle|acyclic)/i],
  ['duplicate node outputs', () => {
    const b = new GraphBuilder('dup');
    const x = b.input('x', ['N', 4]);
    b.node('Relu', [x], { outputs: ['y'] });
    b.node('Sigmoid', [x], { outputs: ['y'] });
    b.output('y', ['N', 4]);
    return encodeOnnx(b.model());
  }, /x\.onnx: .*(duplicate.*\by\b|output 'y' is also produced)/i],
];

describe('broken ONNX models', () => {
  it.each(ONNX)('%s: inspect, eval and compress refuse it in one line and write nothing', async (_, bytes, error) => {
    const dir = path.join(tmp, `onnx${n++}`);
    await fsp.mkdir(dir);
    const file = path.join(dir, 'x.onnx');
    await fsp.writeFile(file, bytes());
    const untouched = { [dir]: fingerprint(dir) };
    const out = path.join(tmp, `out${n++}.onnx`);
    await expectCli(['inspect', file], { code: 2, error, untouched });
    // Latency on (one tiny run): eval then builds an onnxruntime session, which checks what the decoder does not.
    await expectCli(['eval', file, '--runs', '1', '--warmup', '1', '--batch-sizes', '1'], { code: 2, error, untouched });
    await expectCli(['compress', file, '--out', out, '--no-latency', '--quantize', 'weights:float16'], { code: 2, error, untouched, absent: [out], clean: [tmp, dir] });
  });
});
