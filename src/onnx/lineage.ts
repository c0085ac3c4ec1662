import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ShrinkmlError } from '../core/errors.js';
import { writeFilesAtomically } from '../formats/atomic.js';
import { lineageFileName, type LineageBase } from '../formats/lineage.js';
import { decodeOnnx } from '../formats/onnx/decode.js';
import { onnx, type ModelProto } from '../formats/onnx/proto.js';
import { ONNX_SCHEMA } from '../formats/onnx/schema.js';
import { encodeOnnx } from '../formats/onnx/write.js';
import { assertNotProtected } from '../formats/protect.js';
import type { ObserverName, ObserverOptions } from '../quantize/observers/types.js';
import type { ChannelPruneOptions } from './channels.js';
import type { PruneOnnxOptions } from './prune.js';

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

/** The pipeline steps the ONNX passes correspond to (names shared with src/pipeline's steps). */
export type OnnxStepName = 'prune' | 'ptq' | 'weight-format';

/** The compressOnnx options that decide the output, as data: what the lineage records as `config`. */
export interface OnnxCompressConfig {
  format: 'onnx';
  /** `shrinkml convert --to onnx`: the tfjs Layers model exported, at this opset. */
  convert?: { from: 'tfjs-layers'; opset: number };
  pruneChannels?: ChannelPruneOptions;
  prune?: PruneOnnxOptions;
  quantize?: 'dynamic' | 'static';
  weightStorage?: 'fp16' | 'int8';
  /** The data static calibration and verification read (a source name or path), and how. */
  calibration?: { source: string; limit?: number; observer?: ObserverName; observerOptions?: ObserverOptions; batchSize?: number; runtime?: string };
  perChannel?: boolean;
  reduceRange?: boolean;
  exclude?: string[];
}

export interface OnnxLineage extends LineageBase<OnnxCompressConfig> {
  steps: { step: OnnxStepName; options: Record<string, unknown> }[];
}

let versions: { onnxruntime?: string; onnxSchema?: string } | undefined;

/** The installed onnxruntime-node (which verified and measured the output) and the schema that encoded it. */
export function onnxPackageVersions(): { onnxruntime?: string; onnxSchema?: string } {
  if (!versions) {
    const require = createRequire(import.meta.url);
    const version = (name: string) => {
      try {
        return (require(`${name}/package.json`) as { version?: string }).version;
      } catch {
        return undefined;
      }
    };
    versions = { onnxruntime: version('onnxruntime-node'), onnxSchema: ONNX_SCHEMA };
  }
  return versions;
}

/**
 * The model without the lineage keys: what the compression itself produced. Other metadata_props stay, such as
 * the `shrinkml.source` that `convert` records, the input's own keys, or a producer's.
 */
export function withoutLineage(model: ModelProto): ModelProto {
  const kept = (model.metadataProps ?? []).filter((p) => !OWN_KEYS.has(p.key ?? ''));
  return onnx.ModelProto.create({ ...model, metadataProps: kept });
}

/** The model with `lineage` in its metadata_props, replacing the lineage keys it had (a model compressed twice). */
export function withLineage(model: ModelProto, lineage: LineageBase<OnnxCompressConfig>): ModelProto {
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
export function readOnnxLineage(model: ModelProto): OnnxLineage | undefined {
  const value = model.metadataProps?.find((p) => p.key === LINEAGE_KEYS.lineage)?.value;
  if (!value) return undefined;
  try {
    const lineage = JSON.parse(value) as OnnxLineage;
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

export interface WriteOnnxLineageOptions {
  model: ModelProto;
  /** A compress lineage, or convert's (whose one step is 'convert'). */
  lineage: LineageBase<OnnxCompressConfig>;
  /** The .onnx file to write; the lineage goes beside it as `<name>.lineage.json`. */
  out: string;
  force?: boolean;
  /** Paths never to write over, besides every model loaded in this process. */
  protect?: string[];
}

export interface WriteOnnxLineageResult {
  path: string;
  bytes: number;
  lineagePath: string;
  /** What was written: the model with its lineage, encoded. */
  written: { model: ModelProto; bytes: Uint8Array };
}

/**
 * Writes the model with its lineage embedded and `<name>.lineage.json` beside it, atomically (temp files beside
 * the target, then renames, the model last), with writeOnnx's guarantees: never over a loaded model, never over
 * an existing file without force, and only bytes that decode again.
 */
export async function writeOnnxWithLineage(o: WriteOnnxLineageOptions): Promise<WriteOnnxLineageResult> {
  const target = path.resolve(o.out);
  if (!/\.onnx$/i.test(target)) {
    throw new ShrinkmlError('BAD_INPUT', `${o.out}: an ONNX output must end in .onnx`, { subject: o.out });
  }
  const parent = path.dirname(target);
  const lineageName = lineageFileName(target, false);
  const lineagePath = path.join(parent, lineageName);
  assertNotProtected([target, lineagePath], o.protect);
  const model = withLineage(o.model, o.lineage);
  const bytes = encodeOnnx(model);
  decodeOnnx(bytes, `${o.out} (about to be written)`, { allowNonFinite: true });
  await writeFilesAtomically({
    parent, force: o.force,
    files: [{ name: lineageName, content: JSON.stringify(o.lineage, null, 2) + '\n' }, { name: path.basename(target), content: bytes }],
  });
  return { path: target, bytes: bytes.length, lineagePath, written: { model, bytes } };
}
