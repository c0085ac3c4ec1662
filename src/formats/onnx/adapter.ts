import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ShrinkmlError } from '../../core/errors.js';
import { writeFilesAtomically, type OutputFile } from '../atomic.js';
import { assertNotProtected, rememberLoadedSource } from '../protect.js';
import { displayPath } from '../read.js';
import type { FormatAdapter, ModelRunner, RunnerOptions, WeightRef } from '../registry.js';
import type { HostTensor, LoadedOnnxModel, LoadOptions, OnnxValueInfo, ValueInfo } from '../types.js';
import { decodeOnnx, graphInputs, graphOutputs, type DecodeOptions } from './decode.js';
import { encodeOnnx } from './encode.js';
import { hashOnnxModel, withLineage } from './metadata.js';
import { onnx, toNumber, type ModelProto, type NodeProto, type TensorProto } from './proto.js';
import { DataType } from './schema.js';
import { setFloatValues, tensorDims, tensorToFloat32 } from './tensor.js';

/** ONNX element type names → the adapter's (tfjs-style) names. */
const DTYPES: Record<string, string> = { float: 'float32', double: 'float64', float16: 'float16', int64: 'int64', int32: 'int32', bool: 'bool', uint8: 'uint8', int8: 'int8', string: 'string' };

export function toValueInfo(v: OnnxValueInfo): ValueInfo {
  return { name: v.name, dtype: DTYPES[v.dtype] ?? v.dtype, shape: [...v.shape] };
}

/** Which inputs of an op hold its kernel and its bias (weights of other inputs are 'other'). */
const ROLES: Record<string, { kernel: number[]; bias: number[] }> = {
  Conv: { kernel: [1], bias: [2] }, ConvTranspose: { kernel: [1], bias: [2] }, Gemm: { kernel: [0, 1], bias: [2] },
  MatMul: { kernel: [0, 1], bias: [] }, LSTM: { kernel: [1, 2], bias: [3] }, GRU: { kernel: [1, 2], bias: [3] }, RNN: { kernel: [1, 2], bias: [3] },
};

/**
 * The minimal runtime shape this adapter needs (src/onnx/ort.ts's OnnxRuntime fits); kept structural so this folder
 * stays free of onnxruntime imports (it is loaded only when a runner opens).
 */
interface Runtime {
  readonly name: string;
  createSession(bytes: Uint8Array, options?: { optimization?: RunnerOptions['optimization']; label?: string }): Promise<{
    run(feeds: Record<string, HostTensor>, outputs?: readonly string[]): Promise<Record<string, HostTensor>>;
    release(): Promise<void>;
  }>;
}

async function defaultRuntime(): Promise<Runtime> {
  // A dynamic import: reading and writing ONNX never loads onnxruntime (a native addon in Node).
  const specifier = '../../onnx/default-runtime.js';
  const { defaultOnnxRuntime } = await import(/* @vite-ignore */ specifier) as { defaultOnnxRuntime(): Promise<Runtime> };
  return defaultOnnxRuntime();
}

/**
 * ONNX ModelProto files (.onnx): decoded with limits, run in onnxruntime, written atomically with the lineage
 * embedded.
 */
export const onnxFormat: FormatAdapter<LoadedOnnxModel> = {
  name: 'onnx',
  kind: 'onnx',
  canRead: async (p) => /\.onnx$/i.test(p) && Boolean((await fsp.stat(p).catch(() => null))?.isFile()),
  read: (p, options) => loadOnnx(p, options),
  async clone(loaded) {
    return { ...loaded, meta: { ...loaded.meta }, model: onnx.ModelProto.decode(onnx.ModelProto.encode(loaded.model).finish()) };
  },
  dispose() {},
  inputs: (loaded) => graphInputs(loaded.model, loaded.source).map(toValueInfo),
  outputs: (loaded) => graphOutputs(loaded.model, loaded.source).map(toValueInfo),
  async runner(loaded, options = {}) {
    const runtime = (options.runtime as Runtime | undefined) ?? await defaultRuntime();
    const session = await runtime.createSession(encodeOnnx(loaded.model), { optimization: options.optimization, label: displayPath(loaded.source) });
    const inputs = onnxFormat.inputs(loaded);
    const outputs = onnxFormat.outputs(loaded);
    const names = outputs.map((o) => o.name);
    const runner: ModelRunner = {
      runtime: runtime.name, inputs, outputs,
      async run(feeds) {
        const t0 = performance.now();
        const out = await session.run(feeds, names);
        return { outputs: out, ms: performance.now() - t0 };
      },
      dispose: () => session.release(),
    };
    return runner;
  },
  weights: (loaded) => onnxWeights(loaded.model),
  async write(loaded, out, options = {}) {
    const target = path.resolve(out);
    if (!/\.onnx$/i.test(target)) throw new ShrinkmlError('BAD_INPUT', `${out}: an ONNX output must end in .onnx`, { subject: out });
    const model = options.lineage ? withLineage(loaded.model, options.lineage) : loaded.model;
    const bytes = encodeOnnx(model);
    // A model shrinkml cannot read back is not written.
    decodeOnnx(bytes, `${out} (about to be written)`, { allowNonFinite: true });
    const files: OutputFile[] = [
      ...Object.entries(options.extraFiles ?? {}).map(([name, value]) => companion(name, value, target)),
      // Last: renamed into place after its companions.
      { name: path.basename(target), content: bytes },
    ];
    if (options.stage) {
      // Part of a larger output (model + lineage + reports): the stage checked the destination and commits the set.
      await options.stage.write(files);
    } else {
      assertNotProtected(files.map((f) => path.join(path.dirname(target), f.name)), options.protect);
      await writeFilesAtomically({ parent: path.dirname(target), files, force: options.force, protect: options.protect });
    }
    return { modelJsonPath: target, weightFiles: [], weightBytes: bytes.length };
  },
  hash: async (loaded) => hashOnnxModel(loaded.model),
};

function companion(name: string, value: unknown, target: string): OutputFile {
  if (!/^[\w][\w.-]*$/.test(name) || name === path.basename(target)) {
    throw new ShrinkmlError('BAD_INPUT', `${target}: extra file name '${name}' is not allowed`, { subject: name });
  }
  return { name, content: typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n` };
}

/**
 * The float constants of the main graph (initializers that are not graph inputs, and Constant nodes), each with the
 * first node that reads it. Subgraph weights are carried untouched.
 */
function onnxWeights(model: ModelProto): WeightRef[] {
  const g = model.graph;
  if (!g) return [];
  const inputs = new Set((g.input ?? []).map((v) => v.name));
  const consumer = new Map<string, { node: NodeProto; index: number }>();
  for (const n of g.node ?? []) (n.input ?? []).forEach((name, index) => { if (!consumer.has(name)) consumer.set(name, { node: n, index }); });
  const refs: WeightRef[] = [];
  const add = (name: string, tensor: TensorProto) => {
    if (tensor.dataType !== DataType.FLOAT || inputs.has(name)) return;
    const use = consumer.get(name);
    const op = use?.node.opType ?? '';
    const roles = ROLES[op];
    const shape = tensorDims(tensor);
    const role = roles?.kernel.includes(use!.index) && shape.length >= 2 ? 'kernel' : roles?.bias.includes(use!.index) ? 'bias' : 'other';
    refs.push({
      name, op, node: use ? (use.node.name || use.node.output?.[0] || op) : '', shape, role,
      read: async () => tensorToFloat32(tensor),
      write: (values) => setFloatValues(tensor, values),
    });
  };
  for (const t of g.initializer ?? []) add(t.name ?? '', t);
  for (const n of g.node ?? []) {
    if (n.opType !== 'Constant' || (n.domain && n.domain !== 'ai.onnx')) continue;
    const value = n.attribute?.find((a) => a.name === 'value')?.t;
    if (value) add(n.output?.[0] ?? '', value);
  }
  return refs;
}

/** Reads an .onnx file with hard limits on untrusted bytes, as a LoadedModel (no onnxruntime needed). */
export async function loadOnnx(source: string, options: LoadOptions & DecodeOptions = {}): Promise<LoadedOnnxModel> {
  const file = path.resolve(source);
  const shown = displayPath(file);
  const stat = await fsp.stat(file).catch(() => null);
  if (!stat?.isFile()) throw new ShrinkmlError('NOT_FOUND', `${shown}: no such file`, { subject: shown });
  const maxBytes = options.maxBytes ?? 2 ** 31 - 1;
  if (stat.size > maxBytes) {
    throw new ShrinkmlError('LIMIT', `${shown}: ${stat.size} bytes, over the limit of ${maxBytes}`, { subject: shown });
  }
  const bytes = new Uint8Array(await fsp.readFile(file));
  const { model, stats } = decodeOnnx(bytes, shown, options);
  rememberLoadedSource([file]);
  return {
    kind: 'onnx', source, descriptorPath: file, weightFiles: [], model, bytes,
    inputs: graphInputs(model, shown), outputs: graphOutputs(model, shown),
    meta: {
      irVersion: toNumber(model.irVersion),
      opsets: Object.fromEntries((model.opsetImport ?? []).map((o) => [o.domain || 'ai.onnx', toNumber(o.version)])),
      producer: [model.producerName, model.producerVersion].filter(Boolean).join(' ') || undefined,
      ...stats,
    },
  };
}
