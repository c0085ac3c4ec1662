import { expect } from 'vitest';
import type { ModelProto } from '../../src/formats/onnx/proto.js';
import { encodeOnnx } from '../../src/formats/onnx/index.js';
import { attr } from '../../src/onnx/attrs.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { runOnnx } from '../../src/onnx/runtime.js';
import type { HostTensor } from '../../src/onnx/ort.js';
import { randomValues } from './fixtures.js';

/** Models for the quantization-mode tests: a Conv-only audio-style stack, recurrent nodes inside If branches. */

/** x[N,1,16,16] → Conv(32, 3x3) → Relu → Conv(128, 3x3) → Relu → depthwise Conv(128, 3x3, group 128) → y. */
export function convOnlyModel(options: { weights?: 'initializer' | 'constant' } = {}): ModelProto {
  const b = new GraphBuilder('convs');
  const store = (name: string, dims: number[], seed: number, scale: number) => {
    const v = randomValues(dims.reduce((a, c) => a * c, 1), seed, scale);
    return options.weights === 'constant' ? b.constant(name, dims, v) : b.initializer(name, dims, v);
  };
  const x = b.input('x', ['N', 1, 16, 16]);
  const k = (n: number) => [attr.ints('kernel_shape', [3, 3]), attr.ints('pads', [1, 1, 1, 1]), ...(n > 1 ? [attr.int('group', n)] : [])];
  const c1 = b.op('Relu', [b.op('Conv', [x, store('w1', [32, 1, 3, 3], 1, 0.5), store('b1', [32], 2, 0.1)], { attrs: k(1) })]);
  const c2 = b.op('Relu', [b.op('Conv', [c1, store('w2', [128, 32, 3, 3], 3, 0.2), store('b2', [128], 4, 0.1)], { attrs: k(1) })]);
  b.node('Conv', [c2, store('w3', [128, 1, 3, 3], 5, 0.4)], { outputs: ['y'], attrs: k(128) });
  b.output('y', ['N', 128, 16, 16]);
  return b.model();
}

/**
 * PyTorch's recurrent export inside an If, as Silero VAD has it: W and R are Unsqueeze(Constant) in the outer
 * graph, read by an LSTM (or GRU) in a branch; state inputs h/c; outputs Y_h (and Y_c).
 */
export function recurrentModel(op: 'LSTM' | 'GRU', options: { input?: number; hidden?: number; reorder?: boolean; inBranches?: boolean } = {}): ModelProto {
  const input = options.input ?? 24;
  const hidden = options.hidden ?? 32;
  const gates = op === 'LSTM' ? 4 : 3;
  const b = new GraphBuilder('recurrent');
  const x = b.input('x', [5, 'N', input]);
  const h = b.input('h', [1, 'N', hidden]);
  const c = op === 'LSTM' ? b.input('c', [1, 'N', hidden]) : '';
  const cond = b.input('cond', [], 'int64');
  const axes = b.initializer('axes', [1], [0], 'int64');
  const i64 = (name: string, v: number) => b.initializer(name, [1], [v], 'int64');
  const [s1, e1, s0, e0, a0] = options.reorder ? [i64('s1', hidden), i64('e1', gates * hidden), i64('s0', 0), i64('e0', hidden), i64('a0', 0)] : [];
  const wRaw = b.constant('w', [gates * hidden, input], randomValues(gates * hidden * input, 11, 0.3));
  const rRaw = b.constant('r', [gates * hidden, hidden], randomValues(gates * hidden * hidden, 12, 0.3));
  // PyTorch's gate reorder: rows [H, gates·H) then [0, H), by constant Slice and Concat; then Unsqueeze to 3-D. In
  // the outer graph, or (inBranches, as Silero VAD v5's export has it) repeated inside each branch.
  const weights = (g: GraphBuilder): [string, string] => {
    let wc = wRaw;
    if (options.reorder) wc = g.op('Concat', [g.op('Slice', [wc, s1!, e1!, a0!]), g.op('Slice', [wc, s0!, e0!, a0!])], { attrs: [attr.int('axis', 0)] });
    return [g.op('Unsqueeze', [wc, axes]), g.op('Unsqueeze', [rRaw, axes])];
  };
  const outer = options.inBranches ? undefined : weights(b);
  const bias = b.constant('bias', [1, 2 * gates * hidden], randomValues(2 * gates * hidden, 13, 0.1));
  const branch = (name: string, scale: number) => {
    const g = new GraphBuilder(name);
    const [w, r] = outer ?? weights(g);
    const xs = g.op('Mul', [x, g.constant(`${name}_scale`, [], [scale])]);
    const outs = op === 'LSTM' ? ['', `${name}_h`, `${name}_c`] : ['', `${name}_h`];
    g.node(op, [xs, w, r, bias, '', h, ...(c ? [c] : [])], { outputs: outs, attrs: [attr.int('hidden_size', hidden)] });
    g.output(`${name}_h`, [1, 'N', hidden]);
    if (c) g.output(`${name}_c`, [1, 'N', hidden]);
    return g.graph();
  };
  const flag = b.op('Cast', [cond], { attrs: [attr.int('to', 9)] });
  b.node('If', [flag], { outputs: op === 'LSTM' ? ['hn', 'cn'] : ['hn'], attrs: [attr.graph('then_branch', branch('then', 1)), attr.graph('else_branch', branch('else', 0.5))] });
  b.output('hn', [1, 'N', hidden]);
  if (c) b.output('cn', [1, 'N', hidden]);
  return b.model({ opset: 13 });
}

export function recurrentFeeds(op: 'LSTM' | 'GRU', n = 3, cond = 1): Record<string, HostTensor> {
  const feeds: Record<string, HostTensor> = {
    x: { data: randomValues(5 * n * 24, 21), dims: [5, n, 24] },
    h: { data: randomValues(n * 32, 22, 0.5), dims: [1, n, 32] },
    cond: { data: BigInt64Array.of(BigInt(cond)), dims: [] },
  };
  if (op === 'LSTM') feeds.c = { data: randomValues(n * 32, 23, 0.5), dims: [1, n, 32] };
  return feeds;
}

/** Runs both models on the same feeds and returns, per output, max |a − b| relative to a's range, and cosine. */
export async function compareOutputs(a: ModelProto, b: ModelProto, feeds: Record<string, HostTensor>): Promise<Record<string, { rel: number; cosine: number }>> {
  const [ra, rb] = [await runOnnx({ bytes: encodeOnnx(a), feeds }), await runOnnx({ bytes: encodeOnnx(b), feeds })];
  const out: Record<string, { rel: number; cosine: number }> = {};
  for (const [name, t] of Object.entries(ra)) {
    const x = t.data as Float32Array;
    const y = rb[name]!.data as Float32Array;
    expect(y.length).toBe(x.length);
    let dot = 0; let nx = 0; let ny = 0; let maxErr = 0; let lo = Infinity; let hi = -Infinity;
    for (let i = 0; i < x.length; i++) {
      dot += x[i]! * y[i]!; nx += x[i]! ** 2; ny += y[i]! ** 2;
      maxErr = Math.max(maxErr, Math.abs(x[i]! - y[i]!)); lo = Math.min(lo, x[i]!); hi = Math.max(hi, x[i]!);
    }
    out[name] = { rel: maxErr / Math.max(hi - lo, 1e-12), cosine: dot / Math.sqrt(nx * ny) };
  }
  return out;
}

export const opsOf = (m: ModelProto): string[] => m.graph!.node!.map((n) => n.opType!);
