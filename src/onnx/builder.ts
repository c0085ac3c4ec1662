import { onnx, type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../formats/onnx/proto.js';
import { DataType } from '../formats/onnx/schema.js';
import { makeTensor } from '../formats/onnx/tensor.js';
import { attr } from './attrs.js';

/**
 * Builds ONNX graphs in code: the tfjs exporter and the tests use it. Names are made unique with a counter, so
 * callers can ask for 'relu' twice and get 'relu' and 'relu_1'.
 */
export type ElemType = 'float' | 'int64' | 'int32' | 'uint8' | 'int8';
const ELEM: Record<ElemType, number> = { float: DataType.FLOAT, int64: DataType.INT64, int32: DataType.INT32, uint8: DataType.UINT8, int8: DataType.INT8 };

export function makeValueInfo(name: string, elem: ElemType, shape: readonly (number | string | null)[]): ValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {}));
  return { name, type: { tensorType: { elemType: ELEM[elem], shape: { dim } } } };
}

export interface NodeOptions { name?: string; outputs?: string[] | number; attrs?: AttributeProto[]; domain?: string }

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private readonly used = new Set<string>();

  constructor(readonly name = 'graph') {}

  /** A fresh name based on `base`. */
  unique(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, shape: readonly (number | string | null)[], elem: ElemType = 'float'): string {
    const n = this.unique(name);
    this.inputs.push(makeValueInfo(n, elem, shape));
    return n;
  }

  output(name: string, shape: readonly (number | string | null)[], elem: ElemType = 'float'): void {
    this.outputs.push(makeValueInfo(name, elem, shape));
  }

  initializer(name: string, dims: readonly number[], values: ArrayLike<number>, dtype: Parameters<typeof makeTensor>[0]['dtype'] = 'float32'): string {
    const n = this.unique(name);
    this.initializers.push(makeTensor({ name: n, dims, dtype, values }));
    return n;
  }

  /** A Constant node holding a tensor (how many exporters store weights). */
  constant(name: string, dims: readonly number[], values: ArrayLike<number>, dtype: Parameters<typeof makeTensor>[0]['dtype'] = 'float32'): string {
    const n = this.unique(name);
    this.nodes.push({ opType: 'Constant', name: this.unique(`${n}_const`), output: [n], attribute: [attr.tensor('value', makeTensor({ name: n, dims, dtype, values }))] });
    return n;
  }

  /** Adds a node; returns its output names (one unless `outputs` says otherwise). */
  node(opType: string, inputs: readonly string[], options: NodeOptions = {}): string[] {
    const name = this.unique(options.name ?? opType.toLowerCase());
    const outs = typeof options.outputs === 'number' || options.outputs === undefined
      ? Array.from({ length: (options.outputs as number | undefined) ?? 1 }, (_, i) => this.unique(i === 0 ? `${name}_out` : `${name}_out${i}`))
      : options.outputs.map((o) => { this.used.add(o); return o; });
    this.nodes.push({ opType, name, input: [...inputs], output: outs, attribute: options.attrs ?? [], ...(options.domain ? { domain: options.domain } : {}) });
    return outs;
  }

  /** One-output node shorthand. */
  op(opType: string, inputs: readonly string[], options: NodeOptions = {}): string {
    return this.node(opType, inputs, options)[0]!;
  }

  graph(): GraphProto {
    return onnx.GraphProto.create({ name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs });
  }

  model(options: { opset?: number; irVersion?: number; producer?: string } = {}): ModelProto {
    return onnx.ModelProto.create({
      irVersion: options.irVersion ?? 8,
      opsetImport: [{ domain: '', version: options.opset ?? 13 }],
      producerName: options.producer ?? 'shrinkml',
      graph: this.graph(),
    });
  }
}
