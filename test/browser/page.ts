// The browser page's script: loads shrinkml's backend selection and kernels, registers them on WebGPU and runs
// every WebGPU kernel case against its reference. Bundled by build.ts; driven by browser.test.ts.
import * as tf from '@tensorflow/tfjs';
import { channelMinMaxSuite } from '../../kernels/channel-minmax/cases.js';
import { conv2dInt8Suite } from '../../kernels/conv2d-int8/cases.js';
import { dequantizeInt8Suite } from '../../kernels/dequantize-int8/cases.js';
import { fakeQuantSuite } from '../../kernels/fake-quant/cases.js';
import { histogramSuite } from '../../kernels/histogram/cases.js';
import { registerKernels, setWebGPUKernelOptions } from '../../kernels/index.js';
import { magnitudeThresholdSuite } from '../../kernels/magnitude-threshold/cases.js';
import { matMulInt8WeightOnlySuite } from '../../kernels/matmul-int8-weight-only/cases.js';
import { matMulInt8Suite } from '../../kernels/matmul-int8/cases.js';
import { quantizeInt8Suite } from '../../kernels/quantize-int8/cases.js';
import { selectBackend } from '../../src/backends/index.js';
import { runSuites, type CaseResult, type Suite } from './run-cases.js';

const SUITES: Suite[] = [quantizeInt8Suite, dequantizeInt8Suite, fakeQuantSuite, matMulInt8Suite,
  matMulInt8WeightOnlySuite, conv2dInt8Suite, histogramSuite, channelMinMaxSuite, magnitudeThresholdSuite];

export interface PageReport {
  /** Why WebGPU is unavailable in this browser, or null. */
  unavailable: string | null;
  device: string;
  packedDot: boolean;
  results: CaseResult[];
}

async function runKernelCases(): Promise<PageReport> {
  const gpu = (navigator as Navigator & { gpu?: { wgslLanguageFeatures?: ReadonlySet<string> } }).gpu;
  let device = '';
  try {
    device = (await selectBackend({ backend: 'webgpu' })).device;
  } catch (e) {
    return { unavailable: (e as Error).message, device, packedDot: false, results: [] };
  }
  await registerKernels();
  const results = await runSuites(SUITES);
  // The portable path too: Chromium has dot4I8Packed, older browsers do not.
  setWebGPUKernelOptions({ portable: true });
  const portable = await runSuites([matMulInt8Suite, conv2dInt8Suite]);
  setWebGPUKernelOptions({ portable: false });
  for (const r of portable) results.push({ ...r, name: `portable: ${r.name}` });
  return { unavailable: null, device, packedDot: !!gpu?.wgslLanguageFeatures?.has('packed_4x8_integer_dot_product'),
    results: results.concat(tf.getBackend() === 'webgpu' ? [] : [{ kernel: '-', name: 'backend', ok: false, detail: tf.getBackend() }]) };
}

(globalThis as { runKernelCases?: () => Promise<PageReport> }).runKernelCases = runKernelCases;
