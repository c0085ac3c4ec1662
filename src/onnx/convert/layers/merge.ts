import { attr } from '../../attrs.js';
import { config, outputShape, type LayerConverter } from '../context.js';

const OPS: Record<string, string> = { Add: 'Sum', Multiply: 'Mul', Maximum: 'Max', Minimum: 'Min', Average: 'Mean', Subtract: 'Sub' };

/** tfjs axis of a rank-4 value → the same axis of its NCHW copy. */
const NCHW_AXIS = [0, 2, 3, 1];

/**
 * Merge layers. Inputs are brought to one layout: NCHW when every input is rank 4 and one of them already is
 * (typical after convolutions, so no transposes are added), tfjs order otherwise.
 */
export const mergeLayers: LayerConverter = {
  classNames: ['Add', 'Subtract', 'Multiply', 'Maximum', 'Minimum', 'Average', 'Concatenate'],
  convert(ctx, layer, inputs) {
    const nchw = inputs.every((v) => v.shape.length === 4) && inputs.some((v) => v.nchw);
    const names = inputs.map((v) => (nchw ? ctx.channelsFirst(v, layer) : ctx.tfOrder(v)));
    const kind = layer.getClassName();
    const shape = outputShape(layer);
    if (kind === 'Concatenate') {
      const rank = inputs[0]!.shape.length;
      let axis = Number(config(layer).axis ?? -1);
      if (axis < 0) axis += rank;
      if (axis === 0) throw ctx.unsupported(layer, 'concatenates along the batch axis');
      return { name: ctx.b.op('Concat', names, { name: layer.name, attrs: [attr.int('axis', nchw ? NCHW_AXIS[axis]! : axis)] }), shape, nchw };
    }
    const op = OPS[kind]!;
    if (op === 'Sub' && names.length !== 2) throw ctx.unsupported(layer, `subtracts ${names.length} inputs; exactly 2 are supported`);
    if (op === 'Mul' && names.length > 2) {
      let acc = names[0]!;
      for (const n of names.slice(1)) acc = ctx.b.op('Mul', [acc, n], { name: layer.name });
      return { name: acc, shape, nchw };
    }
    return { name: ctx.b.op(op, names, { name: layer.name }), shape, nchw };
  },
};
