import type * as tf from '@tensorflow/tfjs';
import { version as tfjsVersion } from '@tensorflow/tfjs';
import * as path from 'node:path';
import { ShrinkmlError } from '../../core/errors.js';
import { VERSION } from '../../core/version.js';
import { loadModel } from '../../formats/index.js';
import { onnx, type ModelProto } from '../../formats/onnx/proto.js';
import { buildLineage } from '../../formats/lineage.js';
import { writeOnnx, type WriteOnnxResult } from '../../formats/onnx/write.js';
import type { LineageBase } from '../../formats/lineage.js';
import { hashOnnxModel, onnxPackageVersions, writeOnnxWithLineage, type OnnxCompressConfig } from '../lineage.js';
import { GraphBuilder } from '../builder.js';
import { ConvertContext, type Value } from './context.js';
import { findLayerConverter, SUPPORTED_LAYER_CLASSES } from './layers/index.js';

/**
 * TensorFlow.js LayersModel → ONNX (opset 13, IR 8). Inputs and outputs keep the tfjs shapes and element order
 * (channels-last), so the same data feeds both models; inside, convolutions run on NCHW copies (see ./context.ts).
 */
export const EXPORT_OPSET = 13;

export interface LayersToOnnxOptions {
  /** Name used in messages and stored as the graph name (default: the model's name). */
  name?: string;
}

export function layersToOnnx(model: tf.LayersModel, options: LayersToOnnxOptions = {}): ModelProto {
  const name = options.name ?? model.name;
  const b = new GraphBuilder(model.name);
  const ctx = new ConvertContext(b, name);
  const values = new Map<string, Value>();
  for (const t of model.inputs) {
    const shape = t.shape as (number | null)[];
    values.set(t.name, { name: b.input(t.name, ['N', ...shape.slice(1)]), shape, nchw: false });
  }
  for (const layer of model.layers) {
    const className = layer.getClassName();
    if (className === 'InputLayer') continue;
    const converter = findLayerConverter(className);
    if (!converter) {
      throw new ShrinkmlError('UNSUPPORTED', `${name}: layer '${layer.name}' is a ${className}, which the ONNX exporter does not support`, {
        subject: layer.name, suggestion: `supported layers: ${SUPPORTED_LAYER_CLASSES.join(', ')}`,
      });
    }
    // A layer may be called in several models; the call that belongs to this one has all its inputs converted.
    const call = layer.inboundNodes.find((n) => n.inputTensors.length > 0 && n.inputTensors.every((t) => values.has(t.name)));
    if (!call) throw ctx.unsupported(layer, 'is not connected to the model inputs (nested or shared models are not exported)');
    if (call.outputTensors.length !== 1) throw ctx.unsupported(layer, `has ${call.outputTensors.length} outputs; only single-output layers are exported`);
    const out = converter.convert(ctx, layer, call.inputTensors.map((t) => values.get(t.name)!));
    values.set(call.outputTensors[0]!.name, out);
  }
  for (const t of model.outputs) {
    const v = values.get(t.name);
    if (!v) throw new ShrinkmlError('INTERNAL', `${name}: output '${t.name}' was not produced by any converted layer`);
    // Named after the layer (tfjs names outputs 'layer/layer'), in the tfjs element order.
    const outName = b.unique(t.sourceLayer.name);
    b.node('Identity', [ctx.tfOrder(v)], { name: `${outName}_output`, outputs: [outName] });
    b.output(outName, ['N', ...(t.shape as (number | null)[]).slice(1)]);
  }
  const proto = b.model({ opset: EXPORT_OPSET, irVersion: 8 });
  proto.producerVersion = VERSION;
  proto.metadataProps = [onnx.StringStringEntryProto.create({ key: 'shrinkml.source', value: `tfjs-layers:${name}` })];
  return proto;
}

export interface ConvertToOnnxOptions {
  /** A LayersModel, or the path of a tfjs Layers model (folder or model.json). */
  model: tf.LayersModel | string;
  /** The .onnx file to write. */
  out: string;
  force?: boolean;
}

export interface ConvertToOnnxResult extends WriteOnnxResult {
  model: ModelProto;
  /** When the input was a model on disk: the lineage in the output's metadata_props and in this file beside it. */
  lineagePath?: string;
}

/** Export a tfjs Layers model to an .onnx file (atomic write, never over the input). */
export async function convertToOnnx(options: ConvertToOnnxOptions): Promise<ConvertToOnnxResult> {
  let layers: tf.LayersModel;
  let loadedHere = false;
  let source: { descriptorPath: string; weightFiles: string[] } | undefined;
  if (typeof options.model === 'string') {
    const loaded = await loadModel(options.model);
    source = { descriptorPath: loaded.descriptorPath, weightFiles: loaded.weightFiles };
    if (loaded.kind !== 'layers') {
      if (loaded.kind === 'graph') loaded.model.dispose();
      throw new ShrinkmlError('UNSUPPORTED', `${options.model}: only TensorFlow.js Layers models can be exported to ONNX (this is a ${loaded.kind} model)`, {
        subject: options.model,
      });
    }
    layers = loaded.model;
    loadedHere = true;
  } else {
    layers = options.model;
  }
  try {
    const model = layersToOnnx(layers, { name: typeof options.model === 'string' ? options.model : undefined });
    if (!source) {
      // An in-memory model has no files to hash: nothing to trace it back to, so no lineage.
      const written = await writeOnnx({ model, out: options.out, force: options.force });
      return { ...written, model };
    }
    const lineage = buildLineage<LineageBase<OnnxCompressConfig>>({
      loaded: source, out: path.dirname(path.resolve(options.out)),
      steps: [{ step: 'convert', options: { from: 'tfjs-layers', opset: EXPORT_OPSET } }],
      config: { format: 'onnx', convert: { from: 'tfjs-layers', opset: EXPORT_OPSET } },
      versions: { shrinkml: VERSION, tfjs: tfjsVersion.tfjs, node: process.versions.node, ...onnxPackageVersions() },
      weightsHash: hashOnnxModel(model),
    });
    const written = await writeOnnxWithLineage({ model, lineage, out: options.out, force: options.force, protect: [source.descriptorPath, ...source.weightFiles] });
    return { path: written.path, bytes: written.bytes, model: written.written.model, lineagePath: written.lineagePath };
  } finally {
    if (loadedHere) layers.dispose();
  }
}

export { SUPPORTED_LAYER_CLASSES } from './layers/index.js';
