import { createHash } from 'node:crypto';
import type { LineageBase } from '../lineage.js';
import { encodeOnnx } from './encode.js';
import { onnx, type ModelProto } from './proto.js';

/**
 * The lineage of an ONNX output lives in two places: the model's own metadata_props (ModelProto field 14, part
 * of IR 8 and read by every ONNX tool: onnx.load(m).metadata_props, Netron's properties pane), so it travels with
 * the file, and `<name>.lineage.json` beside it, the same JSON, for people and scripts.
 */
export const LINEAGE_KEYS = {
  /** The whole manifest, compact JSON. */
  lineage: 'shrinkml.lineage',
  version: 'shrinkml.version',
  /** Hex sha256 of the input .onnx file. */
  sourceSha256: 'shrinkml.source_sha256',
  createdAt: 'shrinkml.created_at',
} as const;

const OWN_KEYS: ReadonlySet<string> = new Set(Object.values(LINEAGE_KEYS));

/**
 * The model without the lineage keys: what the compression itself produced. Other metadata_props stay, such as
 * the `shrinkml.source` that `convert` records, the input's own keys, or a producer's.
 */
export function withoutLineage(model: ModelProto): ModelProto {
  const kept = (model.metadataProps ?? []).filter((p) => !OWN_KEYS.has(p.key ?? ''));
  return onnx.ModelProto.create({ ...model, metadataProps: kept });
}

/** The model with `lineage` in its metadata_props, replacing the lineage keys it had (a model compressed twice). */
export function withLineage(model: ModelProto, lineage: LineageBase<unknown>): ModelProto {
  const props = [
    [LINEAGE_KEYS.lineage, JSON.stringify(lineage)],
    [LINEAGE_KEYS.version, lineage.shrinkml],
    [LINEAGE_KEYS.sourceSha256, lineage.sourceHash.replace(/^sha256:/, '')],
    [LINEAGE_KEYS.createdAt, lineage.createdAt],
  ].map(([key, value]) => onnx.StringStringEntryProto.create({ key, value }));
  const base = withoutLineage(model);
  return onnx.ModelProto.create({ ...base, metadataProps: [...base.metadataProps, ...props] });
}

/** The lineage a model carries in its metadata_props, or undefined when it has none or it is not valid JSON. */
export function readOnnxLineageOf<L extends LineageBase<unknown>>(model: ModelProto): L | undefined {
  const value = model.metadataProps?.find((p) => p.key === LINEAGE_KEYS.lineage)?.value;
  if (!value) return undefined;
  try {
    const lineage = JSON.parse(value) as L;
    return typeof lineage.sourceHash === 'string' ? lineage : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `sha256:<hex>` of the model as the compression produced it (encoded without the lineage keys): the lineage's
 * weightsHash, which a rerun with the same config must reproduce. Anyone can recompute it from the file: drop
 * the LINEAGE_KEYS entries of metadata_props and hash the encoding.
 */
export function hashOnnxModel(model: ModelProto): string {
  return `sha256:${createHash('sha256').update(encodeOnnx(withoutLineage(model))).digest('hex')}`;
}
