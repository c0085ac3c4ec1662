import type { DataType, TensorInfo } from '@tensorflow/tfjs';

/** One program-defined uniform, in the order of the program's `uniforms` declaration. */
export interface UniformData {
  type: 'int32' | 'uint32' | 'float32';
  data: number[];
}

/**
 * The slice of tfjs-backend-webgpu's program contract we use (webgpu_program.d.ts). Declared here, not imported,
 * so that kernels/ never loads the webgpu backend at runtime: wasm-only users do not pay for it.
 */
export interface WebGPUProgramLike {
  shaderKey: string;
  outputShape: number[];
  variableNames: string[];
  workgroupSize: [number, number, number];
  dispatch: [number, number, number];
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  uniforms?: string;
  atomic?: boolean;
  size?: boolean;
  getUserCode: () => string;
}

/** The slice of tfjs-backend-webgpu's WebGPUBackend our kernels call. */
export interface WebGPUBackendLike {
  runWebGPUProgram(program: WebGPUProgramLike, inputs: TensorInfo[], outputDtype: DataType,
    uniforms?: UniformData[], output?: TensorInfo): TensorInfo;
  makeTensorInfo(shape: number[], dtype: DataType, values?: Float32Array | Int32Array): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}
