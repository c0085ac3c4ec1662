// The browser page's script for calibrate.test.ts: shrinkml's browser-safe ONNX entry (src/onnx/browser.ts) with
// onnxruntime-web, bundled by esbuild as an application would bundle it. Fetches an .onnx model and calibration
// samples from the test's server, calibrates, and hands the ranges back.
import * as tf from '@tensorflow/tfjs';
import { calibrateOnnx, decodeOnnx, webRuntime } from '../../src/onnx/browser.js';
import type { ProgressEvent } from '../../src/core/progress.js';
import type { Range } from '../../src/quantize/observers/types.js';

export interface CalibrationRequest {
  model: string;
  /** Float32 samples, `count` × `sampleShape`, as src/data stores them (HWC images). */
  samples: string;
  count: number;
  sampleShape: number[];
  batchSize: number;
  executionProvider: 'wasm' | 'webgpu';
}

export interface CalibrationReport {
  /** Why the execution provider is unavailable in this browser, or null. */
  unavailable: string | null;
  ranges: Record<string, Range>;
  progress: ProgressEvent[];
  ortVersion: string;
  /** WebGPU only: the adapter the session ran on. */
  adapter: string;
}

async function runCalibration(request: CalibrationRequest): Promise<CalibrationReport> {
  // Observers compute on tfjs; its plain-JS backend keeps the page free of a second WebAssembly module.
  await tf.setBackend('cpu');
  const none = (why: string): CalibrationReport => ({ unavailable: why, ranges: {}, progress: [], ortVersion: '', adapter: '' });
  const webgpu = request.executionProvider === 'webgpu';
  if (webgpu && !(navigator as Navigator & { gpu?: unknown }).gpu) return none('navigator.gpu is missing');
  const bytes = new Uint8Array(await (await fetch(request.model)).arrayBuffer());
  const x = new Float32Array(await (await fetch(request.samples)).arrayBuffer());
  const { model } = decodeOnnx(bytes, request.model);
  const progress: ProgressEvent[] = [];
  const runtime = webRuntime({ executionProvider: request.executionProvider, wasmPaths: '/ort/' });
  let ranges: Record<string, Range>;
  try {
    ({ ranges } = await calibrateOnnx({
      model, runtime, batchSize: request.batchSize, onProgress: (e) => progress.push(e),
      dataset: { name: 'page', split: 'calibration', count: request.count, sampleShape: request.sampleShape, x, files: [] },
    }));
  } catch (e) {
    // No usable adapter shows up only when the session is created; the test decides whether that may skip.
    if (webgpu && progress.length === 0) return none((e as Error).message);
    throw e;
  }
  const ort = await import('onnxruntime-web');
  // The adapter onnxruntime-web's WebGPU provider took: proof the run did not fall back to WebAssembly.
  const device = webgpu ? await (ort.env.webgpu as { device?: Promise<{ adapterInfo?: { vendor?: string; architecture?: string; description?: string } }> }).device : undefined;
  const info = device?.adapterInfo;
  return { unavailable: null, ranges, progress, ortVersion: ort.env.versions.web ?? '', adapter: info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : '' };
}

(globalThis as { runCalibration?: typeof runCalibration }).runCalibration = runCalibration;
