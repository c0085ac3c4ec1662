import type { GraphWeightMode, WeightRole } from '../formats/graph/index.js';
import { loadLayers } from '../formats/layers.js';
import { elementCount } from '../formats/manifest.js';
import { saveLayersModel } from '../formats/save.js';
import type { SaveResult } from '../formats/registry.js';
import { pruneUnstructured } from '../prune/unstructured.js';

/**
 * The four weight modes for a LayersModel, weight-only (no data, no input shape: free input dims are fine).
 * float16 and uint8 are stock manifests (tf.loadLayersModel); int8 (per output channel) and int4 (blocks of 32
 * along the reduction) are codes + scales by the same encoder as graph models, which the Layers format cannot
 * apply by itself: they load through shrinkml's loader or `withWeightCodeDecoding` from shrinkml/runtime.
 */
export interface LayersWeightsResult extends SaveResult { params: number; bits: string; rows: { name: string; bits: number; scheme: string }[] }

/** Which weights of which layer classes are kernels, and their role (see formats/graph/roles.ts). */
function roleOf(className: string, weightName: string, shape: number[]): WeightRole | null {
  const r = shape.length;
  const kernel = /(^|\/)(kernel|pointwise_kernel)$/.test(weightName);
  if (/^(Dense|Conv1D|Conv2D|Conv3D|SeparableConv[12]D)$/.test(className) && kernel && r >= 2) {
    return { kind: 'conv', channelAxes: [r - 1], reduceAxes: Array.from({ length: r - 1 }, (_, i) => i), readers: [className] };
  }
  if (/DepthwiseConv2D|SeparableConv2D/.test(className) && /depthwise_kernel$/.test(weightName) && r === 4) {
    return { kind: 'depthwise', channelAxes: [2, 3], reduceAxes: [0, 1], readers: [className] };
  }
  if (className === 'Embedding' && /embeddings$/.test(weightName) && r === 2) return { kind: 'embedding', channelAxes: [0], reduceAxes: [1], readers: [className] };
  return null;
}

export async function compressLayersWeights(o: {
  source: string; out: string; mode: GraphWeightMode; prune?: number; force?: boolean; protect?: string[];
}): Promise<LayersWeightsResult> {
  const loaded = await loadLayers(o.source);
  const model = loaded.model;
  try {
    if (o.prune) await pruneUnstructured(model, { spec: { kind: 'magnitude', sparsity: o.prune, scope: 'layer', criterion: 'l1' } });
    const roles = new Map<string, { role: WeightRole | null; className: string }>();
    let params = 0;
    for (const layer of model.layers) {
      for (const w of layer.weights) {
        roles.set(w.originalName, { role: roleOf(layer.getClassName(), w.originalName, w.shape as number[]), className: layer.getClassName() });
        if (w.dtype === 'float32') params += elementCount(w.shape as number[]);
      }
    }
    const rows: LayersWeightsResult['rows'] = [];
    const mode = o.mode;
    const BITS = { float32: 32, float16: 16, uint8: 8, int8: 8, int4: 4 } as const;
    const saved = await saveLayersModel(model, o.out, {
      force: o.force, protect: o.protect,
      weightEncodings: (w) => {
        // uint8 (the converter's per-tensor mode) on every weight of rank ≥ 2; float16 on all; int8/int4 codes on
        // kernels (the encoder stores the other weights of those modes as float16).
        const enc = mode === 'float32' || w.dtype !== 'float32' ? undefined : mode === 'uint8' && w.shape.length < 2 ? undefined : mode;
        const kernel = roles.get(w.name)?.role;
        const bits = enc === undefined ? 32 : (enc === 'int8' || enc === 'int4') && !kernel ? 16 : BITS[enc];
        rows.push({ name: w.name, bits, scheme: enc ?? 'float32' });
        return enc;
      },
    });
    const kernelParams = new Map<number, number>();
    for (const r of rows) {
      const v = model.weights.find((w) => w.originalName === r.name);
      if (v && roles.get(r.name)?.role) kernelParams.set(r.bits, (kernelParams.get(r.bits) ?? 0) + elementCount(v.shape as number[]));
    }
    const total = [...kernelParams.values()].reduce((a, b) => a + b, 0) || 1;
    const bits = [...kernelParams.entries()].sort((a, b) => a[0] - b[0]).map(([b, n]) => `${b}b ${(100 * n / total).toFixed(0)}%`).join(' ');
    return { ...saved, params, bits, rows };
  } finally {
    model.dispose();
  }
}

