import { ShrinkmlError } from '../core/errors.js';

/**
 * onnxruntime, whichever package provides it. onnxruntime-node (the reference, ./runtime.ts) and onnxruntime-web
 * (wasm or WebGPU, ./runtime-web.ts) share one JavaScript API (onnxruntime-common); the code that only runs models
 * (calibration) takes an `OnnxRuntime` and so bundles for a browser. This module imports neither package: the
 * shapes below are structural, so any build of onnxruntime with that API fits.
 */
export interface OnnxRuntime {
  /** Named in errors and reports, e.g. 'onnxruntime-node', 'onnxruntime-web (wasm)'. */
  readonly name: string;
  createSession(bytes: Uint8Array, options?: SessionOptions): Promise<OnnxSession>;
}

/** A loaded model. Sessions own native or WebAssembly memory: callers release them. */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs on host tensors and copies the outputs out (all of them, or those named). */
  run(feeds: Record<string, HostTensor>, outputs?: readonly string[]): Promise<Record<string, HostTensor>>;
  release(): Promise<void>;
}

/** Options of `OnnxRuntime.createSession`. */
export interface SessionOptions {
  /** Graph optimizations onnxruntime applies at load ('all' fuses QDQ and dynamic-quantized patterns). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Intra-op threads; default 1 so timings and shared CI machines stay predictable. */
  threads?: number;
  /** Label for error messages (the file). */
  label?: string;
}

/** A tensor in host memory as onnxruntime returns it: the typed array and its dimensions. */
export interface HostTensor { data: Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array; dims: readonly number[] }

export type TensorData = HostTensor['data'];

/** The parts of an onnxruntime package's exports used here (`import * as ort from 'onnxruntime-…'` fits). */
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array, options?: object): Promise<OrtSession> };
  // onnxruntime infers the element type from the typed array's class; HostTensor only holds arrays it knows.
  Tensor: new (data: Float32Array, dims?: readonly number[]) => OrtValue;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtValue>, fetches: readonly string[]): Promise<Record<string, OrtValue>>;
  release(): Promise<void>;
}

export interface OrtValue { readonly data: unknown; readonly dims: readonly number[]; dispose(): void }

/** `InferenceSession.create` with onnxruntime's failure turned into a ShrinkmlError naming the model. */
export async function loadOrtSession(ort: OrtModule, bytes: Uint8Array, ortOptions: object, label = 'model'): Promise<OrtSession> {
  try {
    return await ort.InferenceSession.create(bytes, ortOptions);
  } catch (e) {
    throw new ShrinkmlError('BAD_INPUT', `${label}: onnxruntime cannot load it (${firstLine(e)})`, { subject: label, cause: e });
  }
}

/** Runs a session on host tensors and copies the outputs out, releasing onnxruntime's tensors. */
export async function runOrtSession(ort: OrtModule, session: OrtSession, feeds: Record<string, HostTensor>, outputs?: readonly string[], label = 'model'): Promise<Record<string, HostTensor>> {
  const ortFeeds: Record<string, OrtValue> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.data as Float32Array, t.dims);
  let result: Record<string, OrtValue>;
  try {
    result = await session.run(ortFeeds, outputs ?? session.outputNames);
  } catch (e) {
    throw new ShrinkmlError('BAD_INPUT', `${label}: onnxruntime failed to run it (${firstLine(e)})`, { subject: label, cause: e });
  }
  const out: Record<string, HostTensor> = {};
  for (const [name, value] of Object.entries(result)) {
    // A copy: onnxruntime-web's outputs can be views of WebAssembly memory that the next run reuses.
    out[name] = { data: (value.data as TensorData).slice(), dims: [...value.dims] };
    value.dispose();
  }
  return out;
}

/** An OnnxRuntime over one onnxruntime package; `ortOptions` maps shrinkml's session options to that package's. */
export function ortRuntime(spec: { name: string; load: () => Promise<OrtModule>; ortOptions: (o: SessionOptions) => object }): OnnxRuntime {
  return {
    name: spec.name,
    async createSession(bytes, options = {}) {
      const ort = await spec.load();
      const label = options.label ?? 'model';
      const session = await loadOrtSession(ort, bytes, spec.ortOptions(options), label);
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        run: (feeds, outputs) => runOrtSession(ort, session, feeds, outputs, label),
        release: () => session.release(),
      };
    },
  };
}

/** onnxruntime's message, first line, without the C++ source location and function signature it starts with. */
export function firstLine(e: unknown): string {
  const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
  const opset = /Opset (\d+) is under development.*support for domain (\S+) is till opset (\d+)/.exec(message);
  if (opset) return `the model imports ${opset[2]} opset ${opset[1]}; this onnxruntime supports up to opset ${opset[3]}`;
  return message.replace(/^\S+\.(?:h|cc|cpp|hpp):\d+ [^()]*\([^()]*\)(?: const)? /, '').slice(0, 300);
}
