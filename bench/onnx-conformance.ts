/**
 * The ONNX conformance models of Debian's libonnx-testdata (op-level models with reference inputs and outputs)
 * through shrinkml's reader and writer: decode → encode must give the same bytes, and onnxruntime-node must give
 * identical outputs (bit for bit) for the original and the re-encoded file on the reference inputs.
 *   npx tsc -p . && node dist/bench/onnx-conformance.js [--root DIR] [--every N] [--out bench/results/onnx-conformance.md]
 * test/onnx/conformance.test.ts runs a sample of it in CI. No timings.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { decodeOnnx, encodeOnnx, onnx, type TensorProto } from '../src/formats/onnx/index.js';
import { DataType } from '../src/formats/onnx/schema.js';
import { graphProblems } from '../src/onnx/opset/validate.js';
import { benchArgs } from './args.js';
import { writeGenerated } from './write-results.js';

export const TESTDATA_ROOT = '/usr/share/libonnx-testdata/data';

export interface ConformanceResult {
  name: string;
  /** Decoded by shrinkml (else `rejected` says why). */
  accepted: boolean;
  rejected?: string;
  /** decode → encode gave the file's bytes. */
  identical?: boolean;
  /** onnxruntime ran the original on the reference inputs (else `ortSkipped` says why). */
  ran?: boolean;
  ortSkipped?: string;
  /** Every output of the re-encoded model equals the original's, bit for bit. */
  sameOutputs?: boolean;
  /** What `inspect`'s validity check finds (src/onnx/opset/validate.ts): none, for a model onnxruntime runs. */
  problems?: string[];
}

/** Every model folder (containing model.onnx) under the suites of `root`, sorted. */
export function conformanceModels(root = TESTDATA_ROOT): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((suite) => readdirSync(path.join(root, suite)).map((m) => path.join(root, suite, m)))
    .filter((d) => existsSync(path.join(d, 'model.onnx'))).sort();
}

export async function checkConformanceModel(dir: string): Promise<ConformanceResult> {
  const name = path.relative(path.dirname(path.dirname(dir)), dir);
  const bytes = new Uint8Array(readFileSync(path.join(dir, 'model.onnx')));
  let again: Uint8Array;
  let problems: string[];
  try {
    const { model } = decodeOnnx(bytes, name, { allowNonFinite: true });
    again = encodeOnnx(model);
    problems = graphProblems(model);
  } catch (e) {
    return { name, accepted: false, rejected: (e as Error).message };
  }
  const result: ConformanceResult = { name, accepted: true, identical: Buffer.from(again).equals(Buffer.from(bytes)), problems };
  const data = path.join(dir, 'test_data_set_0');
  const feeds: Record<string, ort.Tensor> = {};
  let a: ort.InferenceSession | undefined;
  let b: ort.InferenceSession | undefined;
  try {
    a = await ort.InferenceSession.create(bytes, SESSION);
    const inputs = existsSync(data) ? readdirSync(data).filter((f) => /^input_\d+\.pb$/.test(f)).sort((x, y) => index(x) - index(y)) : [];
    inputs.forEach((f, i) => { feeds[a!.inputNames[i]!] = toOrt(onnx.TensorProto.decode(readFileSync(path.join(data, f)))); });
    const ra = await a.run(feeds);
    result.ran = true;
    b = await ort.InferenceSession.create(again, SESSION);
    const rb = await b.run(feeds);
    result.sameOutputs = Object.keys(ra).every((k) => sameTensor(ra[k]!, rb[k]));
  } catch (e) {
    if (!result.ran) result.ortSkipped = String((e as Error).message).split('\n')[0]!.slice(0, 160);
    else result.sameOutputs = false;
  } finally {
    await a?.release();
    await b?.release();
  }
  return result;
}

const SESSION = { logSeverityLevel: 4, intraOpNumThreads: 1, interOpNumThreads: 1 } as const;
const index = (f: string) => Number(/\d+/.exec(f)![0]);

/** A reference input (TensorProto) as an onnxruntime tensor of the same element type. */
function toOrt(t: TensorProto): ort.Tensor {
  const dims = (t.dims ?? []).map(Number);
  const count = dims.reduce((x, y) => x * y, 1);
  const raw = t.rawData?.length ? t.rawData : undefined;
  // A copy first: protobufjs hands out Node Buffers, whose `.buffer` is a shared pool.
  const view = <T>(C: { new(b: ArrayBuffer, o: number, n: number): T; BYTES_PER_ELEMENT: number }) =>
    new C(new Uint8Array(raw!).buffer, 0, count);
  const from = (field: ArrayLike<number | { toString(): string }> | null | undefined) => Array.from(field ?? [], (v) => Number(v));
  switch (t.dataType) {
    case DataType.FLOAT: return new ort.Tensor('float32', raw ? view(Float32Array) : Float32Array.from(t.floatData ?? []), dims);
    case DataType.DOUBLE: return new ort.Tensor('float64', raw ? view(Float64Array) : Float64Array.from(t.doubleData ?? []), dims);
    case DataType.INT64: return new ort.Tensor('int64', raw ? view(BigInt64Array) : BigInt64Array.from(t.int64Data ?? [], (v) => BigInt(v.toString())), dims);
    case DataType.UINT64: return new ort.Tensor('uint64', raw ? view(BigUint64Array) : BigUint64Array.from(t.uint64Data ?? [], (v) => BigInt(v.toString())), dims);
    case DataType.INT32: return new ort.Tensor('int32', raw ? view(Int32Array) : Int32Array.from(from(t.int32Data)), dims);
    case DataType.UINT32: return new ort.Tensor('uint32', raw ? view(Uint32Array) : Uint32Array.from(from(t.uint64Data)), dims);
    case DataType.INT16: return new ort.Tensor('int16', raw ? view(Int16Array) : Int16Array.from(from(t.int32Data)), dims);
    case DataType.UINT16: return new ort.Tensor('uint16', raw ? view(Uint16Array) : Uint16Array.from(from(t.int32Data)), dims);
    case DataType.INT8: return new ort.Tensor('int8', raw ? view(Int8Array) : Int8Array.from(from(t.int32Data)), dims);
    case DataType.UINT8: return new ort.Tensor('uint8', raw ? view(Uint8Array) : Uint8Array.from(from(t.int32Data)), dims);
    case DataType.BOOL: return new ort.Tensor('bool', raw ? view(Uint8Array) : Uint8Array.from(from(t.int32Data)), dims);
    case DataType.FLOAT16: return new ort.Tensor('float16', raw ? view(Uint16Array) : Uint16Array.from(from(t.int32Data)), dims);
    case DataType.STRING: return new ort.Tensor('string', (t.stringData ?? []).map((s) => new TextDecoder().decode(s)), dims);
    default: throw new Error(`reference input of data type ${t.dataType} is not fed`);
  }
}

function sameTensor(x: ort.Tensor, y: ort.Tensor | undefined): boolean {
  if (!y || x.type !== y.type || x.dims.join() !== y.dims.join()) return false;
  const [p, q] = [x.data as ArrayLike<unknown>, y.data as ArrayLike<unknown>];
  if (p.length !== q.length) return false;
  for (let i = 0; i < p.length; i++) {
    if (p[i] !== q[i] && !(Number.isNaN(p[i]) && Number.isNaN(q[i]))) return false;
  }
  return true;
}

export interface ConformanceSummary {
  models: number; accepted: number; identical: number; ran: number; sameOutputs: number;
  /** Models onnxruntime runs that the validity check flags (false alarms): 0. */
  flaggedButRan: number;
  results: ConformanceResult[];
}

/** Every `every`-th model (1: all), in order. */
export async function runConformance(options: { root?: string; every?: number; progress?: (r: ConformanceResult) => void } = {}): Promise<ConformanceSummary> {
  const all = conformanceModels(options.root);
  const picked = all.filter((_, i) => i % (options.every ?? 1) === 0);
  const results: ConformanceResult[] = [];
  for (const dir of picked) {
    results.push(await checkConformanceModel(dir));
    options.progress?.(results.at(-1)!);
  }
  const count = (f: (r: ConformanceResult) => boolean | undefined) => results.filter((r) => f(r)).length;
  return {
    models: results.length, accepted: count((r) => r.accepted), identical: count((r) => r.identical),
    ran: count((r) => r.ran), sameOutputs: count((r) => r.sameOutputs), flaggedButRan: count((r) => r.ran && Boolean(r.problems?.length)), results,
  };
}

async function main(): Promise<void> {
  const { values } = benchArgs({ options: {
    root: { type: 'string', default: TESTDATA_ROOT }, every: { type: 'string', default: '1' },
    out: { type: 'string', default: 'bench/results/onnx-conformance.md' }, verbose: { type: 'boolean', default: false },
  } });
  const s = await runConformance({ root: values.root, every: Number(values.every), progress: values.verbose ? (r) => process.stderr.write(`${r.name} ${JSON.stringify(r)}\n`) : undefined });
  const lines = [
    '# ONNX conformance models: decode → encode → onnxruntime-node', '',
    `Debian libonnx-testdata (${values.root}), ${s.models} models; \`node dist/bench/onnx-conformance.js\`.`, '',
    '| models | decoded | re-encoded byte-identical | run by onnxruntime | identical outputs | run, yet flagged by inspect |', '|---|---|---|---|---|---|',
    `| ${s.models} | ${s.accepted} | ${s.identical} | ${s.ran} | ${s.sameOutputs} / ${s.ran} | ${s.flaggedButRan} |`, '',
    '## Refused by the reader', '',
    ...s.results.filter((r) => !r.accepted).map((r) => `- ${r.name}: ${r.rejected}`), '',
    '## Not byte-identical after re-encoding', '',
    ...s.results.filter((r) => r.accepted && !r.identical).map((r) => `- ${r.name}`), '',
    '## Different outputs', '',
    ...s.results.filter((r) => r.ran && !r.sameOutputs).map((r) => `- ${r.name}`), '',
  ];
  writeGenerated(values.out!, lines.join('\n'));
  process.stdout.write(`${lines.slice(4, 7).join('\n')}\nwrote ${values.out}\n`);
  if (s.sameOutputs !== s.ran || s.flaggedButRan) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
