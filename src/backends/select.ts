import * as tf from '@tensorflow/tfjs';
import { registerKernels } from '../../kernels/registry.js';
import { ShrinkmlError } from '../core/errors.js';
import { isMissingModule, OPTIONAL_PEERS } from '../core/optional.js';
import { defaultProbes, ensureNavigatorGpu, type BackendProbes } from './probes.js';
import type { AdapterDescription, BackendChoice, BackendRequest, ConcreteBackend } from './types.js';
import { BACKEND_REQUESTS } from './types.js';

/**
 * The one module that owns backend choice. `auto` prefers a hardware WebGPU adapter, then tfjs-node(-gpu), then
 * wasm, then cpu. A software WebGPU adapter (SwiftShader) is skipped by `auto`: it is slower than wasm.
 */
export interface SelectBackendOptions {
  backend?: BackendRequest;
  probes?: BackendProbes;
  /** Only decide, do not activate (tests of the decision logic). */
  dryRun?: boolean;
}

const INSTALL_HINT: Record<ConcreteBackend, string> = {
  webgpu: 'WebGPU in Node needs a Vulkan (Linux), Metal or D3D12 driver that Dawn accepts; without one, install chromium and set ' +
    'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json for a (slow) software GPU',
  tensorflow: 'npm install @tensorflow/tfjs-node (or @tensorflow/tfjs-node-gpu for CUDA)',
  wasm: 'npm install @tensorflow/tfjs-backend-wasm (a peer of shrinkml: the same version as your @tensorflow/tfjs)',
  cpu: 'the cpu backend is built into @tensorflow/tfjs and is always available',
};

function adapterName(a: AdapterDescription): string {
  const name = [a.vendor, a.architecture, a.description].filter(Boolean).join(' ');
  return a.isFallback ? `${name} (software fallback adapter)` : name;
}

async function activate(backend: ConcreteBackend): Promise<string | null> {
  try {
    if (backend === 'webgpu') {
      // tfjs-backend-webgpu registers itself only if navigator.gpu exists when it is imported.
      const failure = await ensureNavigatorGpu();
      if (failure) return failure;
      try {
        await import('@tensorflow/tfjs-backend-webgpu');
      } catch (e) {
        const pkg = '@tensorflow/tfjs-backend-webgpu';
        if (isMissingModule(e, pkg)) return `the optional package ${pkg} is not installed: npm install ${pkg}@${OPTIONAL_PEERS[pkg]}`;
        throw e;
      }
    }
    if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
    const ok = await tf.setBackend(backend);
    if (!ok) return `tf.setBackend('${backend}') failed to initialise`;
    await tf.ready();
    // Our kernels (conv backprop for wasm, int8, fake-quant, ...) for every backend imported so far.
    await registerKernels();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Picks and activates a tfjs backend ('auto': hardware WebGPU, tfjs-node, wasm, cpu) and registers shrinkml's
 * kernels on it.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendChoice> {
  const request = options.backend ?? 'auto';
  if (!BACKEND_REQUESTS.includes(request)) {
    throw new ShrinkmlError('BAD_INPUT', `unknown backend '${request}'`, {
      subject: '--backend', suggestion: `use one of ${BACKEND_REQUESTS.join(', ')}`,
    });
  }
  const probes = options.probes ?? defaultProbes;
  const skipped: BackendChoice['skipped'] = [];

  const tryBackend = async (backend: ConcreteBackend): Promise<BackendChoice | string> => {
    let device = backend as string;
    let adapter: AdapterDescription | undefined;
    if (backend === 'webgpu') {
      const found = await probes.webgpuAdapter();
      if (typeof found === 'string') return found;
      if (request === 'auto' && found.isFallback) {
        return `adapter ${adapterName(found)} is a software fallback, slower than wasm`;
      }
      adapter = found;
      device = adapterName(found);
    } else if (backend === 'tensorflow') {
      const pkg = await probes.tensorflowPackage();
      if (typeof pkg === 'string') return pkg;
      device = pkg.name;
    }
    if (!options.dryRun) {
      const failure = await activate(backend);
      if (failure) return failure;
      if (backend === 'wasm') device = tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'wasm SIMD' : 'wasm (no SIMD)';
    }
    const reason = request === 'auto'
      ? (skipped.length ? `auto: first available after skipping ${skipped.map((s) => s.backend).join(', ')}` : 'auto: first choice')
      : 'requested';
    return { backend, device, adapter, reason, skipped };
  };

  const order: ConcreteBackend[] = request === 'auto' ? ['webgpu', 'tensorflow', 'wasm', 'cpu'] : [request];
  for (const backend of order) {
    const result = await tryBackend(backend);
    if (typeof result !== 'string') return result;
    if (request !== 'auto') {
      throw new ShrinkmlError('BACKEND', `backend '${backend}' is unavailable: ${result}`, {
        // A missing optional package already names its npm install; the hint is for what installing cannot fix.
        subject: '--backend', suggestion: /is not installed/.test(result) ? undefined : INSTALL_HINT[backend],
      });
    }
    skipped.push({ backend, why: result });
  }
  throw new ShrinkmlError('BACKEND', `no backend could be initialised: ${skipped.map((s) => `${s.backend}: ${s.why}`).join('; ')}`);
}
