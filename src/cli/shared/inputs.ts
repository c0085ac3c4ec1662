import { parseInputShapes, parseNamed, type InputOptions } from '../../data/feeds.js';
import { parseChannelValues, parseInputRange } from '../../data/images.js';
import { resolveDataFeed, type DataRequest, type ResolvedData } from '../../data/sources.js';
import { parseStateFlags } from '../../data/stream.js';
import { formatOf } from '../../formats/index.js';
import type { LoadedModel } from '../../formats/types.js';
import type { InputFlags } from './options.js';

/** The data flags as parsed by addDataOptions. */
export interface DataFlags { data?: string[]; inputRange?: string; mean?: string; std?: string }

/**
 * What a command's data and input flags ask for, parsed before any model is loaded (a malformed flag fails first):
 * `--data` (one source, or name=source per input), `--labels`, the image scaling, and `--input-shape`/`--input`/
 * `--state` for src/data/feeds.ts. The data is matched to the model by resolveCliData once it is loaded.
 */
export function resolveInputFlags(flags: InputFlags & DataFlags): { data?: DataRequest; inputs?: InputOptions } {
  const inputs: InputOptions = {};
  if (flags.inputShape?.length) inputs.shapes = parseInputShapes(flags.inputShape);
  if (flags.input?.length) inputs.values = parseNamed('--input', flags.input);
  const state = parseStateFlags(flags.state);
  if (state) inputs.state = state;
  const pixels: DataRequest['pixels'] = {};
  if (flags.inputRange !== undefined) pixels.range = parseInputRange(flags.inputRange);
  if (flags.mean !== undefined) pixels.mean = parseChannelValues('--mean', flags.mean);
  if (flags.std !== undefined) pixels.std = parseChannelValues('--std', flags.std);
  const data = flags.data?.length
    ? { data: flags.data, labels: flags.labels, pixels: Object.keys(pixels).length ? pixels : undefined } : undefined;
  return { data, inputs: Object.keys(inputs).length ? inputs : undefined };
}

/** The data request matched to a loaded model's inputs (image sizes, one source per input, .npy checks). */
export async function resolveCliData(loaded: LoadedModel, data: DataRequest | undefined, inputs: InputOptions | undefined): Promise<ResolvedData | undefined> {
  if (!data) return undefined;
  return resolveDataFeed({ model: loaded.source, inputs: formatOf(loaded).inputs(loaded), request: data, feeding: inputs });
}
