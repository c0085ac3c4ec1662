import type * as tf from '@tensorflow/tfjs';
import * as path from 'node:path';
import { loadClusteredLayers, saveClusteredModel } from '../cluster/index.js';
import { ShrinkmlError } from '../core/errors.js';
import { StagedOutput, type OutputFile } from '../formats/atomic.js';
import { saveLayersModel, type SaveResult } from '../formats/index.js';
import { lineageFileName } from '../formats/lineage.js';
import type { LoadedLayersModel, SaveOptions } from '../formats/types.js';
import { renderHtml, renderMarkdown, type CompressReport } from '../report/index.js';
// int8 layer classes must be registered before an int8 output is read back.
import '../runtime/index.js';
import type { OutputPlan } from './steps/types.js';

export interface WriteModelOptions extends Pick<SaveOptions, 'force' | 'protect' | 'extraFiles'> {
  model: tf.LayersModel;
  plan: OutputPlan;
  /** A folder, or a .json path for a single model.json + .bin pair. */
  out: string;
  /** Write into this staged output instead of committing on the spot (see ModelOutput). */
  stage?: StagedOutput;
}

/** Saves a pipeline's model the way its steps asked (encodings, clustered codebooks, the shrinkml block). Atomic. */
export function writeModel(o: WriteModelOptions): Promise<SaveResult> {
  const options: SaveOptions = {
    force: o.force, protect: o.protect, extraFiles: o.extraFiles, stage: o.stage,
    weightEncodings: Object.keys(o.plan.encodings).length ? o.plan.encodings : undefined,
    shrinkml: Object.keys(o.plan.shrinkml).length ? o.plan.shrinkml : undefined,
  };
  return Object.keys(o.plan.clusters).length
    ? saveClusteredModel(o.model, o.out, o.plan.clusters, options)
    : saveLayersModel(o.model, o.out, options);
}

/**
 * Reads a written model back for measurement, exactly as a user would load it: clustered weights decoded, int8
 * layers on the shrinkml runtime. `weightBits` carries the stored bits of clustered and int8 weights.
 */
export function readModelBack(modelJsonPath: string): Promise<LoadedLayersModel & { weightBits: Record<string, number> }> {
  return loadClusteredLayers(modelJsonPath);
}

export interface OpenOutputOptions {
  /** A folder; or a single file: `name.json` (tfjs, + `name.bin`) or `name.onnx`, companions beside it. */
  out: string;
  force?: boolean;
  /** The input model's files: never written over, even with force. */
  protect?: readonly string[];
}

/**
 * The one writer of a compress output, whatever the format: the model, its lineage and its reports are staged
 * (and may be read back and measured there), then appear at `out` together in one commit, or not at all. Open it
 * before the long work: it locks `out` (a second run fails at once instead of mixing outputs) and refuses an
 * existing `out` without force before anything is computed. Always `discard()` in a finally: after a commit it is
 * a no-op; otherwise it removes the staging folder and the lock.
 *
 * Names: a folder holds `model.json` (or the format's model file) + `lineage.json` + `report.{json,md,html}`; a
 * single-file output `x.onnx` has `x.lineage.json` and `x.report.*` beside it.
 */
export class ModelOutput {
  private constructor(readonly stage: StagedOutput, readonly folder: boolean) {}

  static async open(o: OpenOutputOptions): Promise<ModelOutput> {
    const folder = !/\.(json|onnx)$/i.test(o.out);
    const stage = await StagedOutput.open({ target: o.out, layout: folder ? 'folder' : 'files', force: o.force, protect: o.protect });
    return new ModelOutput(stage, folder);
  }

  /** The final path of the output (folder or main file). */
  get target(): string {
    return this.stage.target;
  }

  /** The folder the output's files end up in: the output folder, or the single file's folder. */
  get dir(): string {
    return this.folder ? this.target : path.dirname(this.target);
  }

  /** The model file's name: `model.json` in a folder (tfjs), else the target's own name. */
  modelFileName(kind: 'tfjs' | 'onnx' = 'tfjs'): string {
    if (!this.folder) return path.basename(this.target);
    return kind === 'onnx' ? 'model.onnx' : 'model.json';
  }

  get lineageName(): string {
    return lineageFileName(this.target, this.folder);
  }

  get reportNames(): { json: string; md: string; html: string } {
    const stem = this.folder ? 'report' : `${path.basename(this.target).replace(/\.(json|onnx)$/i, '')}.report`;
    return { json: `${stem}.json`, md: `${stem}.md`, html: `${stem}.html` };
  }

  /** Where a file is now (staged: read it back, measure it). */
  stagedPath(name: string): string {
    return this.stage.stagedPath(name);
  }

  /** Where a file will be after the commit (what lineage, reports and messages name). */
  finalPath(name: string): string {
    return this.stage.finalPath(name);
  }

  /** Stage a tfjs Layers model (encodings and codebooks as its plan says); returns the staged paths. */
  writeLayers(model: tf.LayersModel, plan: OutputPlan): Promise<SaveResult> {
    const out = this.folder ? this.stage.dir : this.stagedPath(path.basename(this.target));
    return writeModel({ model, plan, out, stage: this.stage });
  }

  /** Stage already-encoded files (an .onnx model, anything a format adapter produced). */
  writeFiles(files: readonly OutputFile[]): Promise<void> {
    return this.stage.write(files);
  }

  /** Stage the lineage and the three renderings of the report; returns their final paths. */
  async writeRecords(o: { lineage: unknown; report: CompressReport }): Promise<{ lineage: string; reports: { json: string; md: string; html: string } }> {
    const names = this.reportNames;
    await this.stage.write([
      { name: this.lineageName, content: JSON.stringify(o.lineage, null, 2) + '\n' },
      { name: names.json, content: JSON.stringify(o.report, null, 2) + '\n' },
      { name: names.md, content: renderMarkdown(o.report) },
      { name: names.html, content: renderHtml(o.report) },
    ]);
    return {
      lineage: this.finalPath(this.lineageName),
      reports: { json: this.finalPath(names.json), md: this.finalPath(names.md), html: this.finalPath(names.html) },
    };
  }

  /** Put the whole set in place. A run stopped by `signal` (Ctrl-C) is never committed, however far it got. */
  commit(signal?: AbortSignal): void {
    if (signal?.aborted) throw new ShrinkmlError('INTERRUPTED', `interrupted before ${this.target} was written`);
    this.stage.commit();
  }

  discard(): void {
    this.stage.discard();
  }
}
