import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/core/version.js';
import { decodeOnnx, graphInputs, onnx, ONNX_SCHEMA } from '../../src/formats/onnx/index.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { runCli } from './run.js';

const src = path.resolve(import.meta.dirname, '../../models/onnx/mnist-lenet-300-100.onnx');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const packageVersion = (name: string) => (createRequire(import.meta.url)(`${name}/package.json`) as { version: string }).version;

let dir: string;
beforeAll(async () => { dir = await makeTmpDir('shrinkml-cli-onnx-lineage-'); });
afterAll(() => removeTmpDir(dir));

describe('compress model.onnx: lineage and reports of a single-file output', () => {
  it('--quantize dynamic: the lineage is in metadata_props and beside the file, the same JSON; the input is untouched', async () => {
    const sourceHash = sha256(readFileSync(src));
    const out = path.join(dir, 'lenet-int8.onnx');
    const r = await runCli('compress', src, '--out', out, '--quantize', 'dynamic', '--data', 'mnist', '--limit', '300',
      '--no-latency', '--budget', 'drop<=0.5%,size<=300KB', '--json');
    expect(r.code).toBe(0);
    const bytes = readFileSync(out);
    const { model } = decodeOnnx(new Uint8Array(bytes), out);
    const props = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(props).toMatchObject({
      'shrinkml.version': VERSION, 'shrinkml.source_sha256': sourceHash,
      // convert's record of where the ONNX input came from is kept
      'shrinkml.source': 'tfjs-layers:mnist-lenet-300-100',
    });
    const lineage = JSON.parse(props['shrinkml.lineage']!);
    expect(lineage).toMatchObject({
      // Paths relative to the output's folder: no local layout in a file that travels.
      shrinkml: VERSION, source: path.relative(dir, src), sourceHash: `sha256:${sourceHash}`, createdAt: props['shrinkml.created_at'],
      steps: [{ step: 'ptq', options: { mode: 'dynamic' } }],
      // The one pipeline's config: the same data a tfjs lineage records, so `reproduce` reads both.
      config: { version: 1, seed: 1, steps: [{ step: 'ptq', options: { mode: 'dynamic' } }] },
      data: { source: 'mnist', split: 'test', samples: 300 },
      versions: {
        shrinkml: VERSION, tfjs: tf.version.tfjs, node: process.versions.node, backend: 'onnxruntime-node',
        onnxruntime: packageVersion('onnxruntime-node'), onnxSchema: ONNX_SCHEMA,
      },
      metrics: { samples: 300 },
    });
    expect(lineage.metrics.agreement).toBeGreaterThan(0.98);
    expect(lineage.metrics.accuracy).toBeGreaterThan(0.95);
    // weightsHash: the model as compressed, i.e. the file without the lineage keys
    const lineageKeys = ['shrinkml.lineage', 'shrinkml.version', 'shrinkml.source_sha256', 'shrinkml.created_at'];
    const bare = onnx.ModelProto.encode({ ...model, metadataProps: model.metadataProps.filter((p) => !lineageKeys.includes(p.key!)) }).finish();
    expect(lineage.weightsHash).toBe(`sha256:${sha256(bare)}`);

    expect(JSON.parse(readFileSync(path.join(dir, 'lenet-int8.lineage.json'), 'utf8'))).toEqual(lineage);
    const json = JSON.parse(r.stdout);
    expect(json.lineage).toEqual(lineage);
    expect(lineage.metrics).toMatchObject({ params: json.params, nonzeroParams: json.nonzeroParams, accuracy: json.accuracy, drop: json.drop });
    expect(sha256(readFileSync(src))).toBe(sourceHash);

    // What --json, the report and the budget say about size is the file as written, lineage included.
    expect(json.size.bytes).toBe(bytes.length);
    expect(json.budget.pass).toBe(true);
    const report = JSON.parse(readFileSync(path.join(dir, 'lenet-int8.report.json'), 'utf8'));
    expect(json.reports.html).toBe(path.join(dir, 'lenet-int8.report.html'));
    expect(report).toMatchObject({
      kind: 'compress', backend: 'onnxruntime-node',
      input: { path: path.relative(dir, src), hash: `sha256:${sourceHash}`, metrics: { bytes: readFileSync(src).length } },
      output: { path: 'lenet-int8.onnx', weightsHash: lineage.weightsHash, metrics: { bytes: bytes.length, samples: 300 } },
      pipeline: { steps: [{ step: 'ptq', options: { mode: 'dynamic' } }] },
      budget: { pass: true },
    });
    expect(readFileSync(path.join(dir, 'lenet-int8.report.md'), 'utf8')).toContain('pipeline: ptq');
    expect(readFileSync(path.join(dir, 'lenet-int8.report.html'), 'utf8')).toContain('<svg');

    // onnxruntime-node loads the model with its metadata and runs it.
    const input = graphInputs(model, out)[0]!;
    const result = await runOnnx({ bytes: new Uint8Array(bytes), feeds: { [input.name]: { data: new Float32Array(2 * 784).fill(0.5), dims: [2, 784] } } });
    const y = Object.values(result)[0]!;
    expect(y.dims).toEqual([2, 10]);
    expect(Array.from(y.data as Float32Array).every(Number.isFinite)).toBe(true);

    // eval finds the source through the lineage beside the output.
    const e = await runCli('eval', out, '--data', 'mnist', '--limit', '100', '--no-latency', '--json');
    expect(e.code).toBe(0);
    expect(e.stderr).toContain(`reference: ${src} (recorded by compress)`);
    expect(JSON.parse(e.stdout).agreement).toBeGreaterThan(0.95);
  });

  it('refuses to write over an existing lineage file without --force', async () => {
    const out = path.join(dir, 'again.onnx');
    expect((await runCli('compress', src, '--out', out, '--quantize', 'weights:float16', '--no-latency')).code).toBe(0);
    const again = await runCli('compress', src, '--out', out, '--quantize', 'weights:float16', '--no-latency');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    expect((await runCli('compress', src, '--out', out, '--quantize', 'weights:float16', '--no-latency', '--force')).code).toBe(0);
  });
});
