import * as tf from '@tensorflow/tfjs';
import type { DataType, TensorInfo } from '@tensorflow/tfjs';
import { shaderWanted } from './debug.js';
import type { UniformData, WebGPUBackendLike, WebGPUProgramLike } from './types.js';

export interface ProgramSpec {
  /** The op's folder name, e.g. 'matmul-int8': what SHRINKML_PRINT_SHADERS matches. */
  name: string;
  /** Compile-time choices baked into the WGSL (path, tile sizes); shapes and parameters are uniforms instead. */
  variant?: string;
  inputs: string[];
  outputShape: number[];
  workgroupSize: [number, number, number];
  dispatch: [number, number, number];
  /**
   * Flat programs get `main(index: i32)` with a global thread index that survives tfjs splitting a long dispatch
   * over x/y/z; 2-D programs get `main()` and read workgroupId / localId.
   */
  flat: boolean;
  /** Extra uniform fields ('k : i32, scale : f32,'), filled from `uniformData` in the same order. */
  uniforms?: string;
  /** The output is `array<atomic<i32>>` (histograms). */
  atomic?: boolean;
  code: string;
}

/** Builds a tfjs-backend-webgpu program; the shader key names the op and variant so pipelines are cached per pair. */
export function makeProgram(s: ProgramSpec): WebGPUProgramLike {
  const rank = Math.max(1, s.outputShape.length);
  const program: WebGPUProgramLike = {
    shaderKey: `shrinkml_${s.name}_${s.variant ?? 'default'}`,
    outputShape: s.outputShape,
    variableNames: s.inputs,
    workgroupSize: s.workgroupSize,
    dispatch: s.dispatch,
    dispatchLayout: s.flat ? { x: Array.from({ length: rank }, (_, i) => i) } : { x: [0], y: [1] },
    getUserCode: () => s.code,
  };
  if (s.uniforms) program.uniforms = s.uniforms;
  if (s.atomic) program.atomic = true;
  return program;
}

/** Workgroups for `threads` flat invocations; tfjs reshapes x beyond the 65535 limit itself. */
export function flatDispatch(threads: number, workgroupSize: number): [number, number, number] {
  return [Math.max(1, Math.ceil(threads / workgroupSize)), 1, 1];
}

/**
 * Runs a program; with SHRINKML_PRINT_SHADERS naming it, tfjs prints the complete WGSL when it compiles the
 * pipeline (once per shader key), through its own WEBGPU_PRINT_SHADER flag, restored afterwards.
 */
export function runProgram(backend: WebGPUBackendLike, program: WebGPUProgramLike, inputs: TensorInfo[],
  dtype: DataType, uniforms: UniformData[] = [], output?: TensorInfo): TensorInfo {
  const name = program.shaderKey;
  if (!shaderWanted(name)) return backend.runWebGPUProgram(program, inputs, dtype, uniforms, output);
  const before = tf.env().get('WEBGPU_PRINT_SHADER');
  tf.env().set('WEBGPU_PRINT_SHADER', name);
  try {
    return backend.runWebGPUProgram(program, inputs, dtype, uniforms, output);
  } finally {
    tf.env().set('WEBGPU_PRINT_SHADER', before);
  }
}

/** Frees an intermediate made by runProgram (kernels chain several programs). */
export function disposeIntermediate(backend: WebGPUBackendLike, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

export const i32 = (...data: number[]): UniformData => ({ type: 'int32', data });
export const f32 = (...data: number[]): UniformData => ({ type: 'float32', data });
export const u32 = (...data: number[]): UniformData => ({ type: 'uint32', data });
