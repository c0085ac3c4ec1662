// Shared by the webgpu kernel tests: adapter probing (mandatory under CI), running a case, comparing.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { defaultProbes, selectBackend } from '../../src/backends/index.js';
import type { KernelCase, KernelSuite, TensorData } from '../../kernels/types.js';

/** The adapter, or why there is none. Under CI a missing adapter fails the tests instead of skipping them. */
export async function probeWebGPU(): Promise<{ available: boolean; skip: boolean }> {
  const adapter = await defaultProbes.webgpuAdapter();
  const available = typeof adapter !== 'string';
  if (!available && !process.env.CI) {
    console.warn(`\n!!! WebGPU kernel tests SKIPPED: ${adapter}\n!!! (they are mandatory when CI is set)\n`);
  }
  return { available, skip: !available && !process.env.CI };
}

const gpuErrors: string[] = [];
const watched = new WeakSet<object>();

/**
 * Activates tfjs-backend-webgpu and listens for the device's uncaptured errors: an invalid shader or binding only
 * logs, and the kernel's output silently stays zero, so runCase fails on any error seen meanwhile.
 */
export async function activateWebGPU(): Promise<void> {
  const choice = await selectBackend({ backend: 'webgpu' });
  expect(choice.backend).toBe('webgpu');
  const device = (tf.backend() as unknown as { device: EventTarget }).device;
  if (!watched.has(device)) {
    watched.add(device);
    device.addEventListener('uncapturederror', (e) => {
      gpuErrors.push(String((e as unknown as { error: { message: string } }).error.message).split('\n')[0]!);
    });
  }
}

/** GPU errors since the last call. */
export function takeGpuErrors(): string[] {
  return gpuErrors.splice(0);
}

/** Runs one case on the active backend; async reads because Node cannot read webgpu tensors synchronously. */
export async function runCase(suite: KernelSuite, c: KernelCase): Promise<TensorData[]> {
  const before = tf.memory().numTensors;
  // Intermediates made inside a kernel (im2col rows, radix-select state) are backend data, not tensors.
  const dataIdsBefore = tf.engine().backend.numDataIds();
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape, v.dtype)]));
  const out = tf.engine().runKernel(suite.kernelName, inputs, c.attrs) as tf.Tensor | tf.Tensor[];
  const outs = Array.isArray(out) ? out : [out];
  const result: TensorData[] = [];
  for (const t of outs) {
    result.push({ shape: t.shape, dtype: t.dtype as 'float32', values: (await t.data()) as Float32Array });
  }
  tf.dispose([...outs, ...Object.values(inputs)]);
  expect(tf.memory().numTensors).toBe(before);
  expect(tf.engine().backend.numDataIds()).toBe(dataIdsBefore);
  if (tf.getBackend() === 'webgpu') expect(takeGpuErrors()).toEqual([]);
  return result;
}

/** Largest |got - want| / (1 + |want|), NaN-aware (NaN must meet NaN). */
export function maxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) { if (Number.isNaN(w) !== Number.isNaN(g)) return Infinity; continue; }
    if (g === w) continue;
    worst = Math.max(worst, Math.abs(g - w) / (1 + Math.abs(w)));
  }
  return worst;
}

/** Elements that differ as values (Object.is: NaN meets NaN, -0 differs from 0), first 5, as readable text. */
export function mismatches(got: ArrayLike<number>, want: ArrayLike<number>): string[] {
  const out: string[] = [];
  for (let i = 0; i < want.length && out.length < 5; i++) {
    if (!Object.is(got[i], want[i])) out.push(`[${i}] got ${got[i]} want ${want[i]}`);
  }
  return out;
}

/** Multi-output suites (MagnitudeThreshold) give `references`; the others one reference. */
export type AnySuite = KernelSuite & { references?: (c: KernelCase) => TensorData[] };

export function expectMatches(suite: AnySuite, c: KernelCase, got: TensorData[]): void {
  const want = suite.references ? suite.references(c) : [suite.reference(c)];
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => {
    const g = got[i]!;
    expect(g.shape).toEqual(w.shape);
    expect(g.dtype).toBe(w.dtype);
    if (suite.tolerance === 0) expect(mismatches(g.values, w.values)).toEqual([]);
    else expect(maxError(g.values, w.values)).toBeLessThanOrEqual(suite.tolerance);
  });
}
