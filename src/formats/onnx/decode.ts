import { ShrinkmlError } from '../../core/errors.js';
import type { WarnFn } from '../../core/progress.js';
import { MAX_TOTAL_WEIGHT_BYTES } from '../validate.js';
import { onnx, toNumber, type ModelProto, type TensorProto, type ValueInfoProto } from './proto.js';
import { DataType, MAX_IR_VERSION, MIN_IR_VERSION } from './schema.js';
import { checkTensor, dataTypeName, tensorToFloat32 } from './tensor.js';
import { forEachTensor } from './walk.js';
import type { OnnxValueInfo } from '../types.js';
import { checkWire, type WireLimits, type WireStats } from './wire.js';

/**
 * Bytes → checked ModelProto, with no file system access (a browser build reuses it with fetch). Checks run
 * cheapest first: size, the wire pass (unknown fields, nesting, node count), protobufjs decode, then the header,
 * each tensor's dims and data, declared input shapes, and non-finite weights.
 */
export interface DecodeOptions extends WireLimits {
  /** Largest accepted file (protobuf's own limit is 2 GiB). */
  maxBytes?: number;
  /** Largest tensor, in elements (default MAX_ELEMENTS_PER_TENSOR). */
  maxElementsPerTensor?: number;
  /** Non-finite float weights become a warning instead of an error. */
  allowNonFinite?: boolean;
  onWarn?: WarnFn;
}

/** A decoded ONNX model and what the reader counted in its bytes. */
export interface DecodedOnnx {
  model: ModelProto;
  stats: WireStats & { tensors: number; weightBytes: number; floatParams: number };
}


/**
 * Decodes `.onnx` bytes with hard limits (file size, tensor elements, nesting) and checks the result; `file` names the
 * source in errors. Throws ShrinkmlError (BAD_INPUT) on bytes that are not a model it can read faithfully.
 */
export function decodeOnnx(bytes: Uint8Array, file: string, options: DecodeOptions = {}): DecodedOnnx {
  const maxBytes = options.maxBytes ?? MAX_TOTAL_WEIGHT_BYTES - 1;
  if (bytes.length > maxBytes) {
    throw new ShrinkmlError('LIMIT', `${file}: ${bytes.length} bytes, over the limit of ${maxBytes}`, { subject: file });
  }
  if (bytes.length === 0) throw new ShrinkmlError('BAD_INPUT', `${file}: empty file, not an ONNX model`, { subject: file });
  const wire = checkWire(bytes, file, options);
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ShrinkmlError('BAD_INPUT', `${file}: not a valid ONNX protobuf (${(e as Error).message})`, { subject: file, cause: e });
  }
  try {
    return checked(model, wire, file, options);
  } catch (e) {
    if (e instanceof RangeError) throw new ShrinkmlError('LIMIT', `${file}: an int64 field is beyond 2^53`, { subject: file, cause: e });
    throw e;
  }
}

function checked(model: ModelProto, wire: WireStats, file: string, options: DecodeOptions): DecodedOnnx {
  checkHeader(model, file);
  let tensors = 0;
  let weightBytes = 0;
  let floatParams = 0;
  forEachTensor(model.graph!, ({ tensor, where, kind }) => {
    const count = checkTensor(tensor, { file, where, maxElements: options.maxElementsPerTensor });
    tensors++;
    weightBytes += tensor.rawData?.length ?? 0;
    if (tensor.dataType === DataType.FLOAT && kind !== 'sparse') {
      floatParams += count;
      checkFinite(tensor, where, file, options);
    }
  });
  for (const v of [...(model.graph!.input ?? []), ...(model.graph!.output ?? [])]) valueInfo(v, file, options.maxElementsPerTensor);
  return { model, stats: { ...wire, tensors, weightBytes, floatParams } };
}

function checkHeader(model: ModelProto, file: string): void {
  const ir = toNumber(model.irVersion);
  if (!ir) throw new ShrinkmlError('BAD_INPUT', `${file}: no ir_version, not an ONNX model`, { subject: file });
  if (ir < MIN_IR_VERSION || ir > MAX_IR_VERSION) {
    throw new ShrinkmlError('UNSUPPORTED', `${file}: ONNX IR version ${ir} is not supported (${MIN_IR_VERSION}-${MAX_IR_VERSION})`, {
      subject: file, suggestion: 'convert the model with onnx.version_converter, or re-export it with IR version 8',
    });
  }
  if (!model.graph) throw new ShrinkmlError('BAD_INPUT', `${file}: the model has no graph`, { subject: file });
  if (!(model.opsetImport ?? []).some((o) => !o.domain || o.domain === 'ai.onnx')) {
    throw new ShrinkmlError('BAD_INPUT', `${file}: no opset_import for the default ONNX domain`, { subject: file });
  }
}

function checkFinite(tensor: TensorProto, where: string, file: string, options: DecodeOptions): void {
  const values = tensorToFloat32(tensor);
  // ±Infinity is a value (attention masks, bounds, pad values) that every pass keeps exact; NaN is damage.
  const bad = values.findIndex((x) => Number.isNaN(x));
  if (bad < 0) return;
  const message = `${file}: ${where}: non-finite value ${values[bad]} at index ${bad}`;
  if (!options.allowNonFinite) {
    throw new ShrinkmlError('NON_FINITE', message, { subject: file, suggestion: 'pass --allow-nonfinite to load it anyway' });
  }
  options.onWarn?.(message);
}

/** The declared type of a graph input/output; dims beyond the element limit are refused before anyone allocates. */
export function valueInfo(v: ValueInfoProto, file: string, maxElements = 2 ** 28): OnnxValueInfo {
  const t = v.type?.tensorType;
  const shape = (t?.shape?.dim ?? []).map((d) => {
    if (d.dimParam) return d.dimParam;
    if (d.dimValue == null) return null;
    const n = toNumber(d.dimValue);
    if (n < 0 || n > 2 ** 31) {
      throw new ShrinkmlError('LIMIT', `${file}: '${v.name}' declares dimension ${n}`, { subject: file });
    }
    return n;
  });
  const fixed = shape.filter((d): d is number => typeof d === 'number');
  if (fixed.reduce((a, b) => a * b, 1) > maxElements) {
    throw new ShrinkmlError('LIMIT', `${file}: '${v.name}' declares shape [${shape.join(', ')}], over the limit of ${maxElements} elements`, { subject: file });
  }
  return { name: v.name ?? '', dtype: t ? dataTypeName(t.elemType).toLowerCase() : 'non-tensor', shape };
}

/** The graph's real inputs: initializers listed as inputs (IR 3 style, or overridable defaults) are left out. */
export function graphInputs(model: ModelProto, file: string): OnnxValueInfo[] {
  const init = new Set((model.graph?.initializer ?? []).map((t) => t.name));
  return (model.graph?.input ?? []).filter((v) => !init.has(v.name)).map((v) => valueInfo(v, file));
}

/** The graph's outputs with their element types and shapes. */
export function graphOutputs(model: ModelProto, file: string): OnnxValueInfo[] {
  return (model.graph?.output ?? []).map((v) => valueInfo(v, file));
}
