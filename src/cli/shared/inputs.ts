import { ShrinkmlError } from '../../core/errors.js';
import { parseInputShapes, parseNamed, type InputOptions } from '../../data/feeds.js';
import type { InputFlags } from './options.js';

/**
 * The data source and input feeding a command's flags ask for: `--data name=src` names the input the data feeds,
 * `--labels y.npy` pairs labels with `--data x.npy`, `--input-shape`/`--input` go to src/data/feeds.ts as they are.
 */
export function resolveInputFlags(flags: InputFlags & { data?: string }): { data?: string; inputs?: InputOptions } {
  let data = flags.data;
  const inputs: InputOptions = {};
  const named = data ? /^([A-Za-z_][\w.:-]*)=(.+)$/.exec(data) : null;
  if (named && !named[1]!.includes('/')) {
    inputs.dataInputs = [named[1]!];
    data = named[2]!;
  }
  if (flags.labels) {
    if (!data || !/\.npy$/i.test(data)) {
      throw new ShrinkmlError('BAD_INPUT', `--labels ${flags.labels}: pairs with --data <x.npy>`, { subject: '--labels' });
    }
    data = `${data},${flags.labels}`;
  }
  if (flags.inputShape?.length) inputs.shapes = parseInputShapes(flags.inputShape);
  if (flags.input?.length) inputs.values = parseNamed('--input', flags.input);
  return { data, inputs: Object.keys(inputs).length ? inputs : undefined };
}
