import type { DataType, GradConfig, KernelConfig, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

/** A tfjs kernel for one backend; the registry is a flat list of these. */
export type KernelSpec = KernelConfig;
export type GradientSpec = GradConfig;

/** Plain tensor data, the currency of references and test cases. */
export interface TensorData {
  shape: number[];
  dtype: Extract<DataType, 'float32' | 'int32'>;
  values: Float32Array | Int32Array;
}

/** One test case of a kernel, as data: inputs by the kernel's input names, attrs as runKernel takes them. */
export interface KernelCase {
  name: string;
  inputs: Record<string, TensorData>;
  attrs: NamedAttrMap;
}

/** What the shared test runner needs from an op folder (exported from its cases.ts). */
export interface KernelSuite {
  kernelName: string;
  cases: () => KernelCase[];
  /** The pure-TS reference: the single source of truth. */
  reference: (c: KernelCase) => TensorData;
  /** Largest allowed |got - want| / (1 + |want|); 0 means bit-exact. */
  tolerance: number;
  /** The backends whose kernel is ours (default: every backend the runner has); others keep their own. */
  backends?: string[];
}

/** What tfjs passes a kernel function; backends are typed where used (cpu and wasm expose different internals). */
export interface KernelArgs {
  inputs: Record<string, TensorInfo | undefined>;
  backend: unknown;
  attrs: NamedAttrMap;
}
