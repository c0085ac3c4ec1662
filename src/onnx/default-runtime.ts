import { ShrinkmlError } from '../core/errors.js';
import type { OnnxRuntime } from './ort.js';

/**
 * The runtime used when a caller passes none: onnxruntime-node in Node, as before runtimes were pluggable. Loaded
 * through an import bundlers leave alone, so browser bundles of the calibration code never pull in the native addon;
 * in a browser the caller must choose (webRuntime() from ./runtime-web.ts).
 */
const isNode = typeof process !== 'undefined' && !!process.versions?.node;

async function importNodeOnly(specifier: string): Promise<{ nodeRuntime(): OnnxRuntime }> {
  return import(/* @vite-ignore */ specifier);
}

export async function defaultOnnxRuntime(): Promise<OnnxRuntime> {
  if (!isNode) {
    throw new ShrinkmlError('BAD_INPUT', 'no onnxruntime given, and onnxruntime-node exists only in Node', {
      subject: 'runtime', suggestion: "pass { runtime: webRuntime() } (onnxruntime-web, 'wasm' or 'webgpu')",
    });
  }
  return (await importNodeOnly('./runtime.js')).nodeRuntime();
}
