import * as tf from '@tensorflow/tfjs';
import { readValues } from '../core/read.js';
import { INT8_WEIGHT } from '../runtime/format.js';
import { layersModelTargets } from '../prune/targets.js';

/** Zero positions of each pruned kernel, by layer name, in the kernel's own row-major order ([..., K, N] → i·N + j). */
export async function zeroMasks(model: tf.LayersModel): Promise<Map<string, { zeros: Uint8Array; n: number }>> {
  const out = new Map<string, { zeros: Uint8Array; n: number }>();
  for (const t of layersModelTargets(model)) {
    const values = await readValues(t.read());
    const zeros = new Uint8Array(values.length);
    let any = false;
    for (let i = 0; i < values.length; i++) if (values[i] === 0) { zeros[i] = 1; any = true; }
    if (any) out.set(t.layer, { zeros, n: t.shape.at(-1)! });
  }
  return out;
}

/**
 * After QAT conversion, sets the int8 codes of weights that were zero before QAT back to code 0, which is 0.0 for
 * symmetric weights. The QAT step holds the zeros during training (ZeroHold), so this is a safety net for layers
 * the hold could not find in the QAT model. Packed layout: row j (output channel) of K int8 codes, four per
 * int32, byte i&3 of word i>>2 (docs/numerics.md "Packing"). Asymmetric layers (code 0 ≠ 0.0) are left alone. Returns the codes zeroed.
 */
export async function rezeroInt8(model: tf.LayersModel, masks: Map<string, { zeros: Uint8Array; n: number }>): Promise<number> {
  let cleared = 0;
  for (const layer of model.layers) {
    const mask = masks.get(layer.name);
    const symmetric = (layer as unknown as { weightSymmetric?: boolean }).weightSymmetric !== false;
    const packed = layer.weights.find((w) => w.originalName.endsWith(`/${INT8_WEIGHT.packed}`));
    if (!mask || !packed || !symmetric) continue;
    const words = (packed.shape as number[])[1]!;
    const n = mask.n;
    const k = mask.zeros.length / n;
    if ((packed.shape as number[])[0] !== n || words !== Math.ceil(k / 4)) continue;
    const data = Int32Array.from(await readValues<'int32'>(packed.read()));
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < n; j++) {
        if (!mask.zeros[i * n + j]) continue;
        const at = j * words + (i >> 2);
        const byteMask = 0xff << (8 * (i & 3));
        if (data[at]! & byteMask) cleared++;
        data[at] = data[at]! & ~byteMask;
      }
    }
    tf.tidy(() => { packed.write(tf.tensor(data, packed.shape as number[], 'int32')); });
  }
  return cleared;
}
