import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ShrinkmlError } from '../core/errors.js';
import { writeFilesAtomically, type StagedOutput } from '../formats/atomic.js';
import { lineageFileName, type LineageBase } from '../formats/lineage.js';
import { decodeOnnx } from '../formats/onnx/decode.js';
import { encodeOnnx } from '../formats/onnx/encode.js';
import type { ModelProto } from '../formats/onnx/proto.js';
import { ONNX_SCHEMA } from '../formats/onnx/schema.js';
import { readOnnxLineageOf, withLineage } from '../formats/onnx/metadata.js';
import { assertNotProtected } from '../formats/protect.js';
import type { ObserverName, ObserverOptions } from '../quantize/observers/types.js';
import type { ChannelPruneOptions } from './channels.js';
import type { PruneOnnxOptions } from './prune.js';

export { LINEAGE_KEYS, hashOnnxModel, withLineage, withoutLineage } from '../formats/onnx/metadata.js';

/** The lineage a model carries in its metadata_props, or undefined when it has none or it is not valid JSON. */
export function readOnnxLineage(model: ModelProto): OnnxLineage | undefined {
  return readOnnxLineageOf<OnnxLineage>(model);
}

/** The pipeline steps the ONNX passes correspond to (names shared with src/pipeline's steps). */
export type OnnxStepName = 'prune' | 'ptq' | 'weight-format';

/** The ONNX-specific config `convert --to onnx` records in its lineage (compress records its PipelineConfig instead). */
export interface OnnxCompressConfig {
  format: 'onnx';
  /** `shrinkml convert --to onnx`: the tfjs Layers model exported, at this opset. */
  convert?: { from: 'tfjs-layers'; opset: number };
  pruneChannels?: ChannelPruneOptions;
  prune?: PruneOnnxOptions;
  quantize?: 'dynamic' | 'static';
  weightStorage?: 'fp16' | 'float16' | 'uint8' | 'int8' | 'int4';
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





export interface WriteOnnxLineageOptions {
  model: ModelProto;
  /** A compress lineage, or convert's (whose one step is 'convert'). */
  lineage: LineageBase<OnnxCompressConfig>;
  /** The .onnx file to write; the lineage goes beside it as `<name>.lineage.json`. */
  out: string;
  force?: boolean;
  /** Paths never to write over, besides every model loaded in this process. */
  protect?: string[];
  /** Stage the files in this output (opened on `out`) instead of committing them. */
  stage?: StagedOutput;
}

export interface WriteOnnxLineageResult {
  /** The model's final path. */
  path: string;
  /** Where the model's bytes are now: `path`, or its staged copy. */
  onDisk: string;
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
  const files = [{ name: lineageName, content: JSON.stringify(o.lineage, null, 2) + '\n' }, { name: path.basename(target), content: bytes }];
  if (o.stage) {
    await o.stage.write(files);
    return { path: target, onDisk: o.stage.stagedPath(path.basename(target)), bytes: bytes.length, lineagePath, written: { model, bytes } };
  }
  await writeFilesAtomically({ parent, force: o.force, protect: o.protect, files });
  return { path: target, onDisk: target, bytes: bytes.length, lineagePath, written: { model, bytes } };
}
