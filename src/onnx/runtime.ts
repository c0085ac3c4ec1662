import * as ort from 'onnxruntime-node';
import { ShrinkmlError } from '../core/errors.js';

/**
 * onnxruntime-node, the reference client: every model shrinkml writes is loaded and run here in tests, and
 * calibration and the bench run through it. Sessions own native memory; callers release them.
 */
export interface SessionOptions {
  /** Graph optimizations onnxruntime applies at load ('all' fuses QDQ and dynamic-quantized patterns). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** Intra-op threads; default 1 so timings and shared CI machines stay predictable. */
  threads?: number;
  /** Label for error messages (the file). */
  label?: string;
}

export async function createSession(bytes: Uint8Array, options: SessionOptions = {}): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: options.optimization ?? 'all',
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      logSeverityLevel: 3,
    });
  } catch (e) {
    throw new ShrinkmlError('BAD_INPUT', `${options.label ?? 'model'}: onnxruntime cannot load it (${firstLine(e)})`, {
      subject: options.label, cause: e,
    });
  }
}

export interface HostTensor { data: Float32Array | Int32Array | BigInt64Array | Uint8Array | Int8Array; dims: readonly number[] }

export type TensorData = HostTensor['data'];

/** Runs a session on float feeds (or any typed array) and copies the outputs out, releasing onnxruntime's tensors. */
export async function runSession(session: ort.InferenceSession, feeds: Record<string, HostTensor>, outputs?: readonly string[], label = 'model'): Promise<Record<string, HostTensor>> {
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor(t.data as Float32Array, t.dims);
  let result: ort.InferenceSession.OnnxValueMapType;
  try {
    result = outputs ? await session.run(ortFeeds, outputs as string[]) : await session.run(ortFeeds);
  } catch (e) {
    throw new ShrinkmlError('BAD_INPUT', `${label}: onnxruntime failed to run it (${firstLine(e)})`, { subject: label, cause: e });
  }
  const out: Record<string, HostTensor> = {};
  for (const [name, value] of Object.entries(result)) {
    out[name] = { data: (value.data as TensorData).slice(), dims: [...value.dims] };
    value.dispose();
  }
  return out;
}

/** Load, run once, release: the check every written model goes through in tests. */
export async function runOnnx(options: { bytes: Uint8Array; feeds: Record<string, HostTensor>; outputs?: readonly string[]; session?: SessionOptions }): Promise<Record<string, HostTensor>> {
  const session = await createSession(options.bytes, options.session);
  try {
    return await runSession(session, options.feeds, options.outputs, options.session?.label);
  } finally {
    await session.release();
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
}
