import { importOptional } from '../core/optional.js';
import { ortRuntime, type OnnxRuntime, type OrtModule, type SessionOptions } from './ort.js';

/**
 * onnxruntime-web as an OnnxRuntime: the WebAssembly CPU provider (browsers and Node) or WebGPU (browsers with
 * navigator.gpu). Browser-safe: onnxruntime-web is imported when the first session is created, so importing shrinkml
 * costs nothing until then, and a bundler still sees the import and includes the package.
 */
export interface WebRuntimeOptions {
  /** 'wasm' (default) or 'webgpu' (onnxruntime-web's default build includes both). */
  executionProvider?: 'wasm' | 'webgpu';
  /**
   * WebAssembly threads (ort.env.wasm.numThreads), default 1: predictable on shared machines, and browsers give
   * threads only to cross-origin-isolated pages anyway. onnxruntime-web reads it once, at its first session.
   */
  threads?: number;
  /** Where the .wasm/.mjs files are served when a bundler did not place them next to the bundle (ort.env.wasm.wasmPaths). */
  wasmPaths?: string;
  /** An onnxruntime-web module already loaded (another build, a CDN copy); default: import('onnxruntime-web'). */
  ort?: OrtWebModule;
}

/** The parts of onnxruntime-web used here: the common API plus its global WebAssembly settings. */
export type OrtWebModule = OrtModule & { env: { wasm: { numThreads?: number; wasmPaths?: unknown } } };

/** onnxruntime-web (wasm or WebGPU) as the runtime for calibration and evaluation; loaded on first use. */
export function webRuntime(options: WebRuntimeOptions = {}): OnnxRuntime {
  const ep = options.executionProvider ?? 'wasm';
  let loading: Promise<OrtWebModule> | undefined;
  const load = async (): Promise<OrtWebModule> => {
    const ort: OrtWebModule = options.ort
      ?? await importOptional('onnxruntime-web', 'running ONNX models in onnxruntime-web', () => import('onnxruntime-web'));
    ort.env.wasm.numThreads = options.threads ?? 1;
    if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
    return ort;
  };
  return ortRuntime({
    name: `onnxruntime-web (${ep})`,
    load: () => (loading ??= load()),
    ortOptions: (o: SessionOptions) => ({ executionProviders: [ep], graphOptimizationLevel: o.optimization ?? 'all', logSeverityLevel: 3 }),
  });
}
