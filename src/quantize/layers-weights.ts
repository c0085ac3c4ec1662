import * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { ShrinkmlError } from '../core/errors.js';
import { writeFolderAtomically } from '../formats/atomic.js';
import { decodeGraphWeights, encodeGraphWeight, type GraphWeightMode, type WeightRole } from '../formats/graph/index.js';
import { assertNotProtected } from '../formats/protect.js';
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
    if (o.prune) pruneUnstructured(model, { spec: { kind: 'magnitude', sparsity: o.prune, scope: 'layer', criterion: 'l1' } });
    const roles = new Map<string, { role: WeightRole | null; className: string }>();
    let params = 0;
    for (const layer of model.layers) {
      for (const w of layer.weights) {
        roles.set(w.originalName, { role: roleOf(layer.getClassName(), w.originalName, w.shape as number[]), className: layer.getClassName() });
        if (w.dtype === 'float32') params += elementCount(w.shape as number[]);
      }
    }
    const rows: LayersWeightsResult['rows'] = [];
    let saved: SaveResult;
    if (o.mode === 'float16' || o.mode === 'uint8' || o.mode === 'float32') {
      const mode = o.mode;
      saved = await saveLayersModel(model, o.out, {
        force: o.force, protect: o.protect,
        weightEncodings: (w) => {
          const enc = mode === 'float32' || w.dtype !== 'float32' ? undefined : mode === 'float16' || w.shape.length >= 2 ? mode : undefined;
          rows.push({ name: w.name, bits: enc === 'uint8' ? 8 : enc === 'float16' ? 16 : 32, scheme: enc ?? 'float32' });
          return enc;
        },
      });
    } else {
      saved = await saveCoded(model, o, roles, rows);
    }
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

/** int8/int4: capture the float32 artifacts, swap each kernel's entry for its codes and scales, write atomically. */
async function saveCoded(
  model: tf.LayersModel, o: { out: string; mode: GraphWeightMode; force?: boolean; protect?: string[] },
  roles: Map<string, { role: WeightRole | null }>, rows: LayersWeightsResult['rows'],
): Promise<SaveResult> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => { artifacts = a; return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) }; }));
  if (!artifacts) throw new ShrinkmlError('INTERNAL', 'tfjs did not hand over the model artifacts while saving');
  const data = tf.io.concatenateArrayBuffers(artifacts.weightData ?? new ArrayBuffer(0));
  const weights = decodeGraphWeights(artifacts.weightSpecs ?? [], data, o.out);
  const parts = weights.flatMap((w) => {
    const role = roles.get(w.name)?.role ?? { kind: 'other' as const, channelAxes: [], reduceAxes: [], readers: [] };
    const e = encodeGraphWeight({ weight: w, role, mode: o.mode });
    rows.push({ name: w.name, bits: e.bits, scheme: e.scheme });
    return e.parts;
  });
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.bytes.byteLength, 0));
  let at = 0;
  for (const p of parts) { bytes.set(p.bytes, at); at += p.bytes.byteLength; }
  const json = {
    modelTopology: artifacts.modelTopology, format: artifacts.format, generatedBy: artifacts.generatedBy, convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: parts.map((p) => p.entry) }],
    shrinkml: { weightCodes: { mode: o.mode, note: 'load with shrinkml or withWeightCodeDecoding from shrinkml/runtime' } },
  };
  const dir = path.resolve(o.out);
  assertNotProtected([dir], o.protect);
  await writeFolderAtomically({ dir, force: o.force, files: [{ name: 'group1-shard1of1.bin', content: bytes }, { name: 'model.json', content: JSON.stringify(json) }] });
  return { modelJsonPath: path.join(dir, 'model.json'), weightFiles: [path.join(dir, 'group1-shard1of1.bin')], weightBytes: bytes.byteLength };
}
