import { dataTypeName, elementCountOf, tensorDims, tensorToFloat32 } from '../formats/onnx/tensor.js';
import { forEachTensor } from '../formats/onnx/walk.js';
import type { LoadedOnnxModel } from '../formats/types.js';
import type { LayerStats, ParamStats } from './params.js';

const BITS: Record<string, number> = { float: 32, double: 64, float16: 16, bfloat16: 16, int8: 8, uint8: 8, int4: 4, uint4: 4, int32: 32, int64: 64 };

/** One row per stored tensor (initializers and Constant nodes, in every graph): ONNX has no layers, its weights are the unit. */
export function onnxParams(loaded: Pick<LoadedOnnxModel, 'model'>): ParamStats {
  const layers: LayerStats[] = [];
  forEachTensor(loaded.model.graph!, ({ tensor }) => {
    const dtype = dataTypeName(tensor.dataType).toLowerCase();
    const dims = tensorDims(tensor);
    const params = elementCountOf(dims);
    let nonzero = params;
    if (params > 0 && dtype !== 'string') {
      try {
        const values = tensorToFloat32(tensor);
        nonzero = 0;
        for (let i = 0; i < values.length; i++) if (values[i] !== 0) nonzero++;
      } catch {
        // A type the reader does not expand (packed 4-bit, float8): every element counts as non-zero.
      }
    }
    layers.push({
      name: tensor.name ?? '', class: dtype, params, nonzeroParams: nonzero, sparsity: params ? 1 - nonzero / params : 0,
      weightBits: BITS[dtype] ?? null, outputShape: dims, weights: [],
    });
  });
  const params = layers.reduce((a, l) => a + l.params, 0);
  const nonzeroParams = layers.reduce((a, l) => a + l.nonzeroParams, 0);
  return { params, nonzeroParams, sparsity: params ? 1 - nonzeroParams / params : 0, layers };
}
