import { installNavigatorGpu, probeDawnAdapter } from './dawn.js';
import type { AdapterDescription } from './types.js';

/**
 * Environment probes used by backend selection. They are injectable so tests can present a fallback adapter,
 * a missing tfjs-node, etc. without the hardware. Each probe returns null or a reason string when unavailable.
 */
export interface BackendProbes {
  /**
   * Describes the default WebGPU adapter without making it this process's (Node: Dawn from the optional `webgpu`
   * package, probed in a child process, silently).
   */
  webgpuAdapter(): Promise<AdapterDescription | string>;
  /** Imports tfjs-node-gpu or tfjs-node; returns the package name that loaded, or why none did. */
  tensorflowPackage(): Promise<{ name: string } | string>;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** A dynamic import bundlers leave alone: the Node-only packages must never be pulled into a browser bundle. */
async function importOptional(specifier: string): Promise<any> {
  return import(/* @vite-ignore */ specifier);
}

/** Describes navigator.gpu's default adapter in this process (browsers, or Node where the caller installed one). */
async function describeInProcess(): Promise<AdapterDescription | string> {
  const adapter = await (globalThis as any).navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return 'navigator.gpu gave no WebGPU adapter';
  // Newer Dawn reports isFallbackAdapter on adapter.info, older on the adapter itself.
  const info = adapter.info ?? {};
  const isFallback = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false) ||
    /swiftshader|llvmpipe|lavapipe/i.test(`${info.architecture} ${info.description}`);
  return {
    vendor: String(info.vendor ?? ''),
    architecture: String(info.architecture ?? ''),
    description: String(info.description ?? ''),
    isFallback,
  };
}

async function describeAdapter(): Promise<AdapterDescription | string> {
  if ((globalThis as any).navigator?.gpu) return describeInProcess();
  if (!isNode) return 'this browser has no navigator.gpu (WebGPU is off or unsupported)';
  // Node: Dawn is probed in a child process so that its native stderr never reaches the user (see dawn.ts).
  return probeDawnAdapter();
}

/**
 * Makes navigator.gpu available for tfjs-backend-webgpu: in Node, loads Dawn into this process (once). Returns
 * null, or why it could not. Call it only for a backend that the probe accepted.
 */
export async function ensureNavigatorGpu(): Promise<string | null> {
  if ((globalThis as any).navigator?.gpu) return null;
  if (!isNode) return 'this browser has no navigator.gpu (WebGPU is off or unsupported)';
  return installNavigatorGpu();
}

async function loadTensorflowPackage(): Promise<{ name: string } | string> {
  const reasons: string[] = [];
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await importOptional(name);
      return { name };
    } catch (e) {
      reasons.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return `neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node could be loaded (${reasons.join('; ')})`;
}

export const defaultProbes: BackendProbes = {
  webgpuAdapter: describeAdapter,
  tensorflowPackage: isNode ? loadTensorflowPackage : async () => 'tfjs-node exists only in Node',
};
