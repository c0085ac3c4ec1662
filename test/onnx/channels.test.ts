import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeOnnx, tensorDims, tensorToFloat32 } from '../../src/formats/onnx/index.js';
import type { ModelProto } from '../../src/formats/onnx/proto.js';
import { pruneChannelsOnnx } from '../../src/onnx/channels.js';
import { cloneModel, GraphEditor } from '../../src/onnx/graph.js';
import { setFloatValues } from '../../src/onnx/prune.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import { convModel, exportedLenet, floatFeed } from './fixtures.js';

beforeAll(async () => { await tf.setBackend('cpu'); });

/**
 * The float model with the removed channels' contributions zeroed at their consumer: removing the channels must
 * give exactly its outputs (whatever BatchNormalization does to a dead channel, the consumer ignores it).
 */
function maskedReference(float: ModelProto, consumers: { weight: string; axis: 'in' | 'rows-nchw' | 'rows-nhwc'; channels: number; kept: number[] }[]): ModelProto {
  const ref = new GraphEditor(cloneModel(float));
  for (const c of consumers) {
    const alive = Array.from({ length: c.channels }, (_, ch) => c.kept.includes(ch));
    const w = ref.weight(c.weight)!;
    const dims = tensorDims(w.tensor);
    const values = tensorToFloat32(w.tensor);
    values.forEach((_, i) => {
      let ch: number;
      if (c.axis === 'in') ch = Math.floor(i / (dims[2]! * dims[3]!)) % dims[1]!;
      else {
        const row = Math.floor(i / dims[1]!);
        const hw = dims[0]! / c.channels;
        ch = c.axis === 'rows-nchw' ? Math.floor(row / hw) : row % c.channels;
      }
      if (!alive[ch]) values[i] = 0;
    });
    setFloatValues(w.tensor, values);
  }
  return ref.model;
}

async function maxDiff(a: ModelProto, b: ModelProto, feeds: Parameters<typeof runOnnx>[0]['feeds']): Promise<number> {
  const [x, y] = [Object.values(await runOnnx({ bytes: encodeOnnx(a), feeds }))[0]!, Object.values(await runOnnx({ bytes: encodeOnnx(b), feeds }))[0]!];
  expect(y.dims).toEqual(x.dims);
  return Math.max(...Array.from(x.data as Float32Array, (v, i) => Math.abs(v - (y.data as Float32Array)[i]!)));
}

describe('structured channel pruning', () => {
  it('Conv → Relu → MaxPool → Conv and Conv → Relu → Flatten → Gemm (NCHW rows)', async () => {
    const float = convModel();
    const { model, report } = pruneChannelsOnnx(float, { fraction: 0.5 });
    expect(report.layers.map((l) => [l.node, l.before, l.after, l.through.join('>'), l.into])).toEqual([
      ['conv', 4, 2, 'Relu>MaxPool', 'conv_1'], ['conv_1', 6, 3, 'Relu', 'gemm'],
    ]);
    const g = new GraphEditor(model);
    expect(report.layers.map((l) => l.kept.length)).toEqual([2, 3]);
    expect(tensorDims(g.weight('conv1_w')!.tensor)).toEqual([2, 1, 3, 3]);
    expect(tensorDims(g.weight('conv2_w')!.tensor)).toEqual([3, 2, 3, 3]);
    expect(tensorDims(g.weight('fc_w')!.tensor)).toEqual([12, 5]);
    expect(encodeOnnx(model).length).toBeLessThan(0.6 * encodeOnnx(float).length);
    const ref = maskedReference(float, [
      { weight: 'conv2_w', axis: 'in', channels: 4, kept: report.layers[0]!.kept },
      { weight: 'fc_w', axis: 'rows-nchw', channels: 6, kept: report.layers[1]!.kept },
    ]);
    expect(await maxDiff(ref, model, { x: floatFeed([3, 1, 8, 8], 2) })).toBeLessThan(1e-5);
  });

  it('through BatchNormalization and the exporter\'s Transpose → Flatten → Gemm (NHWC rows)', async () => {
    const float = exportedLenet();
    const { model, report } = pruneChannelsOnnx(float, { fraction: 0.5 });
    expect(report.layers.map((l) => [l.before, l.after, l.through.join('>')])).toEqual([[6, 3, 'BatchNormalization>Relu>MaxPool'], [8, 4, 'BatchNormalization>Relu']]);
    const conv2 = report.layers[1]!;
    const w = new GraphEditor(float).graph.node!.find((n) => n.name === conv2.into)!.input![1]!;
    const ref = maskedReference(float, [
      { weight: 'c2_kernel', axis: 'in', channels: 6, kept: report.layers[0]!.kept },
      { weight: w, axis: 'rows-nhwc', channels: 8, kept: conv2.kept },
    ]);
    const input = float.graph!.input![0]!.name!;
    expect(await maxDiff(ref, model, { [input]: floatFeed([2, 10, 10, 1], 4) })).toBeLessThan(1e-4);
  });

  it('reports chains it cannot follow and leaves them alone', () => {
    const float = convModel();
    // A second reader of conv1's output (here: a graph output) blocks pruning it.
    float.graph!.output!.push({ name: float.graph!.node!.find((n) => n.opType === 'Conv')!.output![0] });
    const { report } = pruneChannelsOnnx(float, { fraction: 0.5 });
    expect(report.skipped).toEqual([{ node: 'conv', reason: "'conv_out' is read by more than one node or is a graph output" }]);
    expect(report.layers.map((l) => l.node)).toEqual(['conv_1']);
  });
});
