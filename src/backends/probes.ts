import type { AdapterDescription } from './types.js';

/**
 * Environment probes used by backend selection. They are injectable so tests can present a fallback adapter,
 * a missing tfjs-node, etc. without the hardware. Each probe returns null or a reason string when unavailable.
 */
export interface BackendProbes {
  /** Makes navigator.gpu available (Node: from the `webgpu` package) and describes the default adapter. */
  webgpuAdapter(): Promise<AdapterDescription | string>;
  /** Imports tfjs-node-gpu or tfjs-node; returns the package name that loaded, or why none did. */
  tensorflowPackage(): Promise<{ name: string } | string>;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** A dynamic import bundlers leave alone: the Node-only packages must never be pulled into a browser bundle. */
async function importOptional(specifier: string): Promise<any> {
  return import(/* @vite-ignore */ specifier);
}

let nodeGpuInstalled = false;

/** In Node, install the Dawn-backed navigator.gpu from the `webgpu` package (once). */
async function ensureNavigatorGpu(): Promise<string | null> {
  const g = globalThis as any;
  if (g.navigator?.gpu) return null;
  if (!isNode) return 'this browser has no navigator.gpu (WebGPU is off or unsupported)';
  if (nodeGpuInstalled) return 'navigator.gpu could not be installed';
  let mod: any;
  try {
    mod = await importOptional('webgpu');
  } catch (e) {
    return `the 'webgpu' package (Dawn for Node) failed to load: ${(e as Error).message}`;
  }
  nodeGpuInstalled = true;
  Object.assign(g, mod.globals);
  const gpu = mod.create([]);
  if (g.navigator) {
    Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(g, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  return null;
}

async function describeAdapter(): Promise<AdapterDescription | string> {
  const problem = await ensureNavigatorGpu();
  if (problem) return problem;
  const adapter = await (globalThis as any).navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    return 'no WebGPU adapter was found (in Node this needs a Vulkan, Metal or D3D12 driver; ' +
      'for a software GPU set VK_ICD_FILENAMES to SwiftShader\'s ICD, e.g. /usr/lib/chromium/vk_swiftshader_icd.json)';
  }
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
