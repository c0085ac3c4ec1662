import type * as Ort from 'onnxruntime-node';
import { importOptional } from '../core/optional.js';
import { loadOrtSession, ortRuntime, runOrtSession, type HostTensor, type OnnxRuntime, type SessionOptions } from './ort.js';

/**
 * onnxruntime-node, the reference client: every model shrinkml writes is loaded and run here in tests, and the
 * bench and the CLI's measurements run through it. Node only; code that must also run in a browser takes an
 * OnnxRuntime (./ort.ts) instead, and gets this one by default in Node (./default-runtime.ts).
 */
export type { HostTensor, SessionOptions, TensorData } from './ort.js';

let loading: Promise<typeof Ort> | undefined;
/** onnxruntime-node is an optional peer (a 288 MB native addon): imported on first use, never by `import 'shrinkml'`. */
export const loadOrtNode = (): Promise<typeof Ort> =>
  (loading ??= importOptional('onnxruntime-node', 'running .onnx models in Node', () => import('onnxruntime-node')));

const nodeOptions = (options: SessionOptions): Ort.InferenceSession.SessionOptions => ({
  graphOptimizationLevel: options.optimization ?? 'all',
  intraOpNumThreads: options.threads ?? 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  logSeverityLevel: 3,
});

/** onnxruntime-node's CPU execution provider as an OnnxRuntime. */
export function nodeRuntime(): OnnxRuntime {
  return ortRuntime({ name: 'onnxruntime-node', load: loadOrtNode, ortOptions: nodeOptions });
}

export async function createSession(bytes: Uint8Array, options: SessionOptions = {}): Promise<Ort.InferenceSession> {
  return await loadOrtSession(await loadOrtNode(), bytes, nodeOptions(options), options.label) as Ort.InferenceSession;
}

/** Runs a session on float feeds (or any typed array) and copies the outputs out, releasing onnxruntime's tensors. */
export async function runSession(session: Ort.InferenceSession, feeds: Record<string, HostTensor>, outputs?: readonly string[], label = 'model'): Promise<Record<string, HostTensor>> {
  return runOrtSession(await loadOrtNode(), session, feeds, outputs, label);
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
