import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOnnx, encodeOnnx, onnx } from '../../src/formats/onnx/index.js';
import { compress } from '../../src/pipeline/index.js';
import { writeNpy } from '../data/fixtures.js';
import { LINEAGE_KEYS, readOnnxLineage, withLineage, withoutLineage, type OnnxLineage } from '../../src/onnx/lineage.js';
import { convModel, floatFeed, mlpModel } from './fixtures.js';

const dir = mkdtempSync(path.join(tmpdir(), 'shrinkml-onnx-lineage-'));
beforeAll(async () => { await tf.setBackend('cpu'); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const keys = (bytes: Uint8Array) => decodeOnnx(bytes, 'out').model.metadataProps.map((p) => p.key);

function save(name: string, model: ReturnType<typeof mlpModel>): string {
  const file = path.join(dir, name);
  writeFileSync(file, encodeOnnx(model));
  return file;
}

describe('ONNX lineage in metadata_props', () => {
  const lineage = { shrinkml: '0.1.0', sourceHash: 'sha256:ab12', createdAt: '2025-01-01T00:00:00.000Z', steps: [] } as unknown as OnnxLineage;

  it('is added beside the model\'s own keys, replaces an earlier lineage, and reads back', () => {
    const model = mlpModel();
    model.metadataProps = [onnx.StringStringEntryProto.create({ key: 'author', value: 'someone' })];
    const once = withLineage(model, { ...lineage, sourceHash: 'sha256:0000' });
    const twice = decodeOnnx(encodeOnnx(withLineage(once, lineage)), 'twice').model;
    expect(twice.metadataProps.map((p) => [p.key, p.value])).toEqual([
      ['author', 'someone'],
      [LINEAGE_KEYS.lineage, JSON.stringify(lineage)],
      [LINEAGE_KEYS.version, '0.1.0'],
      [LINEAGE_KEYS.sourceSha256, 'ab12'],
      [LINEAGE_KEYS.createdAt, '2025-01-01T00:00:00.000Z'],
    ]);
    expect(readOnnxLineage(twice)).toEqual(lineage);
    expect(encodeOnnx(withoutLineage(twice))).toEqual(encodeOnnx(model));
    expect(model.metadataProps.length).toBe(1); // the input model is not modified
  });

  it.each([
    ['no lineage key', []],
    ['a lineage that is not JSON', [{ key: LINEAGE_KEYS.lineage, value: '{oops' }]],
  ])('reads as undefined with %s', (_name, props) => {
    expect(readOnnxLineage(onnx.ModelProto.create({ metadataProps: props }))).toBeUndefined();
  });
});

describe('compress writes the lineage with an ONNX model', () => {
  it('without data: steps and config as data, no metrics of data; compressing the output again records it as the source', async () => {
    const input = save('mlp.onnx', mlpModel({ inputs: 64, hidden: 64 }));
    const first = await compress(input, path.join(dir, 'mlp-int8.onnx'), { prune: 'magnitude:0.5', quantize: 'dynamic' });
    expect(first.lineage).toMatchObject({
      sourceHash: sha256(readFileSync(input)), config: { version: 1, steps: [{ step: 'prune', options: { method: 'magnitude:0.5' } }, { step: 'ptq', options: { mode: 'dynamic' } }] },
      steps: [{ step: 'prune', options: { method: 'magnitude:0.5' } }, { step: 'ptq', options: { mode: 'dynamic' } }],
    });
    expect(first.lineage.data).toBeUndefined();
    expect(first.lineage.metrics).toMatchObject({ params: first.measurement.params, sparsity: first.measurement.sparsity });
    const firstPath = first.modelJsonPath;
    expect(JSON.parse(readFileSync(path.join(dir, 'mlp-int8.lineage.json'), 'utf8'))).toEqual(first.lineage);

    const second = await compress(firstPath, path.join(dir, 'mlp-fp16.onnx'), { quantize: 'weights:float16' });
    const bytes = new Uint8Array(readFileSync(second.modelJsonPath));
    expect(keys(bytes).filter((k) => k === LINEAGE_KEYS.lineage)).toHaveLength(1);
    expect(readOnnxLineage(decodeOnnx(bytes, 'second').model)).toEqual(JSON.parse(JSON.stringify(second.lineage)));
    // Recorded relative to the output (with its hash), so the pair of files can move together.
    expect(second.lineage).toMatchObject({ source: `./${path.basename(firstPath)}`, sourceHash: sha256(readFileSync(firstPath)), steps: [{ step: 'weight-format', options: { encoding: 'float16' } }] });
    expect(second.report.output.metrics.bytes).toBe(bytes.length);
  });

  it('static: the calibration split is in the data splits', async () => {
    const input = save('conv.onnx', convModel());
    const data = writeNpy(path.join(dir, 'conv-x.npy'), [48, 8, 8, 1], Array.from(floatFeed([48 * 64], 8).data, Math.abs), '<f4');
    const r = await compress(input, path.join(dir, 'conv-qdq.onnx'), { quantize: 'static', observer: 'minmax', data });
    expect(r.lineage.steps).toEqual([{ step: 'ptq', options: { mode: 'static', observer: 'minmax' } }]);
    expect(r.lineage.data).toMatchObject({ split: 'test', splits: { calibration: 48 } });
  });

  it('never writes over the input, even with force, and then leaves no lineage file either', async () => {
    const input = save('mlp2.onnx', mlpModel());
    const before = readFileSync(input);
    await expect(compress(input, input, { quantize: 'dynamic', force: true })).rejects.toMatchObject({ code: 'EXISTS' });
    expect(readFileSync(input)).toEqual(before);
    expect(existsSync(path.join(dir, 'mlp2.lineage.json'))).toBe(false);
  });
});
