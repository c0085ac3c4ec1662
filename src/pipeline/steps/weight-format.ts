import { matchesAny } from '../../prune/targets.js';
import { LAYER_LIST, offLayers, toMatchers } from './shared.js';
import { onnxWeightFormat } from './onnx.js';
import type { PipelineStep } from './types.js';
import { graphWeightFormat } from './graph.js';

const BITS = { uint8: 8, uint16: 16, float16: 16, int8: 8, int4: 4 } as const;

/**
 * Storage-only quantization in the manifest format stock tfjs decodes (`quantization: {dtype, scale, min}`):
 * per-tensor affine uint8/uint16 with 0 exactly representable (pruned weights stay zero), or float16. The model
 * runs in float32 after loading; only the download shrinks.
 */
export const weightFormatStep: PipelineStep = {
  name: 'weight-format',
  phase: 'storage',
  description: 'store weights as uint8/uint16 (per-tensor affine, zero exact) or float16 in a stock-loadable tfjs manifest, or int8 (per channel) / int4 (blocks of 32) codes; ONNX: float16, uint8, int8 or int4',
  schema: {
    type: 'object', required: ['encoding'],
    properties: {
      encoding: { type: 'string', enum: ['uint8', 'uint16', 'float16', 'int8', 'int4'] },
      exclude: LAYER_LIST,
    },
  },
  check(options, path) {
    toMatchers(options.exclude, `${path}.exclude`);
  },
  formats: {
    layers: {
      needs: () => 'none',
      async run(options, ctx) {
        const encoding = options.encoding as keyof typeof BITS;
        const exclude = [...toMatchers(options.exclude, 'exclude'), ...offLayers(ctx.levels)];
        const stored: string[] = [];
        for (const layer of ctx.model.layers) {
          if (matchesAny(layer.name, exclude)) continue;
          for (const v of layer.weights) {
            if (v.dtype !== 'float32') continue;
            ctx.output.encodings[v.originalName] = encoding;
            // int8/int4 codes are for kernels; the encoder stores the layer's other weights (biases) as float16.
            ctx.output.weightBits[v.originalName] = (encoding === 'int8' || encoding === 'int4') && !/kernel(_\d+)?$|embeddings$/.test(v.originalName) ? 16 : BITS[encoding];
            stored.push(v.originalName);
          }
        }
        return { model: ctx.model, summary: { encoding, weights: stored.length, excluded: exclude.map(String) } };
      },
    },
    graph: graphWeightFormat,
    onnx: onnxWeightFormat,
  },
};
