import { describe, expect, it } from 'vitest';
import { selectBackend, type AdapterDescription, type BackendProbes } from '../../src/backends/index.js';
import { ShrinkmlError } from '../../src/core/errors.js';

const hardware: AdapterDescription = { vendor: 'nvidia', architecture: 'hopper', description: 'H100', isFallback: false };
const swiftshader: AdapterDescription = { vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader', isFallback: true };

function probes(webgpu: AdapterDescription | string, tensorflow: { name: string } | string): BackendProbes {
  return { webgpuAdapter: async () => webgpu, tensorflowPackage: async () => tensorflow };
}

describe('selectBackend (decision only)', () => {
  it.each([
    ['hardware adapter wins', hardware, 'tfjs-node missing', 'webgpu', []],
    ['fallback adapter is skipped for wasm', swiftshader, 'tfjs-node missing', 'wasm', ['webgpu', 'tensorflow']],
    ['no adapter, tfjs-node present', 'no adapter', { name: '@tensorflow/tfjs-node' }, 'tensorflow', ['webgpu']],
    ['fallback adapter, tfjs-node-gpu present', swiftshader, { name: '@tensorflow/tfjs-node-gpu' }, 'tensorflow', ['webgpu']],
  ] as const)('%s', async (_name, webgpu, tensorflow, expected, skipped) => {
    const choice = await selectBackend({ backend: 'auto', probes: probes(webgpu, tensorflow), dryRun: true });
    expect(choice.backend).toBe(expected);
    expect(choice.skipped.map((s) => s.backend)).toEqual(skipped);
  });

  it('names the skipped fallback adapter and why', async () => {
    const choice = await selectBackend({ backend: 'auto', probes: probes(swiftshader, 'missing'), dryRun: true });
    expect(choice.skipped[0].why).toMatch(/swiftshader.*software fallback/i);
  });

  it('an explicit webgpu request accepts a fallback adapter and reports its name', async () => {
    const choice = await selectBackend({ backend: 'webgpu', probes: probes(swiftshader, 'missing'), dryRun: true });
    expect(choice.backend).toBe('webgpu');
    expect(choice.device).toMatch(/SwiftShader.*fallback/);
  });

  it.each([
    ['webgpu', probes('no WebGPU adapter was found', 'x'), /webgpu' is unavailable: no WebGPU adapter/],
    ['tensorflow', probes(hardware, 'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node could be loaded'), /tensorflow' is unavailable/],
  ] as const)('an unavailable explicit %s is an error that says what to install', async (backend, p, message) => {
    const err = await selectBackend({ backend, probes: p, dryRun: true }).catch((e) => e);
    expect(err).toBeInstanceOf(ShrinkmlError);
    expect(err.code).toBe('BACKEND');
    expect(err.message).toMatch(message);
    expect(err.suggestion).toMatch(backend === 'tensorflow' ? /npm install @tensorflow\/tfjs-node/ : /VK_ICD_FILENAMES/);
  });

  it('rejects an unknown backend name', async () => {
    const err = await selectBackend({ backend: 'tpu' as never, dryRun: true }).catch((e) => e);
    expect(err.code).toBe('BAD_INPUT');
    expect(err.suggestion).toContain('auto, webgpu, wasm, cpu, tensorflow');
  });
});

describe('selectBackend (activation)', () => {
  it.each(['cpu', 'wasm'] as const)('activates %s for real', async (backend) => {
    const tf = await import('@tensorflow/tfjs');
    const choice = await selectBackend({ backend });
    expect(tf.getBackend()).toBe(backend);
    expect(choice.backend).toBe(backend);
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]])));
    expect(Array.from(await y.data())).toEqual([11]);
    y.dispose();
    if (backend === 'wasm') expect(choice.device).toBe('wasm SIMD');
  });

  it('auto on this machine never picks a software adapter', async () => {
    const choice = await selectBackend({ backend: 'auto', dryRun: true });
    if (choice.backend === 'webgpu') expect(choice.adapter?.isFallback).toBe(false);
    else expect(['tensorflow', 'wasm']).toContain(choice.backend);
  });
});
