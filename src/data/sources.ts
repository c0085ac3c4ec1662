import { ShrinkmlError } from '../core/errors.js';
import type { ValueInfo } from '../formats/types.js';
import { planFeeds, type InputOptions } from './feeds.js';
import { imageFolderSizes, isImageFolder, type ImageInputSpec } from './images.js';
import { readNpyFile } from './npy.js';
import type { DataFeed } from './types.js';

/**
 * User data matched to a model's declared inputs, the same way for every format (issues 14.3, 15.2): `--data` is one
 * source for the data input, or `name=<folder|file.npy>` once per data input; an image folder is decoded to the size
 * its input declares (free height/width take the images' size when they all share one), with the channels where the
 * graph has them; a `.npy` must fit its input's dims and element type. Everything is checked here, before any work,
 * so a bad source is one line naming the file or input.
 */
export interface DataRequest {
  /** `--data` values as given: one source, or `name=source` per data input. */
  data: readonly string[];
  /** `--labels y.npy`. */
  labels?: string;
  /** Pixel scaling of image folders (`--input-range`, or `--mean`/`--std` in 0..255 units). */
  pixels?: Pick<ImageInputSpec, 'range' | 'mean' | 'std'>;
}

export interface ResolvedData {
  /** The source as reports and the lineage name it: a path, `x.npy,y.npy`, or `a=x.npy b=photos/`. */
  source: string;
  feed?: DataFeed;
  /** The input options with the data inputs named and any free image dims filled in from the images. */
  inputs?: InputOptions;
  /** One line per decision a person should know of (dims taken from the images). */
  notes: string[];
}

/** `name=source` (a name, not a path: no slash before the '='), or a plain source. */
export function parseDataEntry(entry: string): { name?: string; source: string } {
  const named = /^([A-Za-z_][\w.:-]*)=(.+)$/.exec(entry);
  return named && !named[1]!.includes('/') ? { name: named[1]!, source: named[2]! } : { source: entry };
}

const fmt = (dims: readonly (number | string | null)[]) => `[${dims.map((d) => (typeof d === 'number' && d > 0 ? d : '?')).join(', ')}]`;
const isFixed = (d: unknown): d is number => typeof d === 'number' && d > 0;
const isChannels = (d: unknown) => d === 1 || d === 3;

interface ImageTarget { height?: number; width?: number; channels: 1 | 3; rebuild(h: number, w: number): number[] }

/** Where an image input keeps its channels, read from its declared (or --input-shape) dims. */
function imageTarget(model: string, info: ValueInfo, given: readonly number[] | undefined): ImageTarget {
  const dims = given ?? info.shape;
  const notImage = (why: string) => new ShrinkmlError('BAD_INPUT', `${model}: input '${info.name}' ${fmt(dims)} cannot take an image folder (${why})`, {
    subject: '--data', suggestion: `feed it with --data ${info.name}=<file.npy>`,
  });
  const dim = (d: unknown) => (isFixed(d) ? d : undefined);
  if (dims.length === 4) {
    const [, a, b, c] = dims;
    // The declared dims decide where the channels are when they can (['N', 3, 'H', 'W'] is NCHW at any size).
    const [, da, , dc] = info.shape;
    const first = isChannels(da) && !isChannels(dc) ? true : isChannels(dc) && !isChannels(da) ? false : isChannels(a) && !isChannels(c);
    if (first) return { channels: a as 1 | 3, height: dim(b), width: dim(c), rebuild: (h, w) => [1, a as number, h, w] };
    if (isChannels(c)) return { channels: c as 1 | 3, height: dim(a), width: dim(b), rebuild: (h, w) => [1, h, w, c as number] };
    throw notImage('it has neither 1 nor 3 channels first or last');
  }
  if (dims.length === 3) return { channels: 1, height: dim(dims[1]), width: dim(dims[2]), rebuild: (h, w) => [1, h, w] };
  if (dims.length === 2 && isFixed(dims[1])) {
    // A flat input (an MLP on pixels) takes square images: grey if the count is a square, RGB if a third of it is.
    const f = dims[1];
    for (const channels of [1, 3] as const) {
      const side = Math.sqrt(f / channels);
      if (Number.isInteger(side)) return { channels, height: side, width: side, rebuild: () => [1, f] };
    }
    throw notImage(`${f} values are not a square image of 1 or 3 channels`);
  }
  throw notImage('an image input is [N,H,W,C], [N,C,H,W], [N,H,W] or [N,H·W·C]');
}

/** The size an image input is decoded to: as declared, or the images' own size where height/width are free. */
function imageSpec(model: string, info: ValueInfo, given: number[] | undefined, dir: string, request: DataRequest, notes: string[]): { spec: ImageInputSpec; shape?: number[] } {
  const target = imageTarget(model, info, given);
  const pixels = request.pixels ?? {};
  if (target.height && target.width) return { spec: { height: target.height, width: target.width, channels: target.channels, layout: 'NHWC', ...pixels } };
  const sizes = imageFolderSizes(dir);
  const hint = `give it with --input-shape ${info.name}=${target.rebuild(-1, -2).map((d) => (d === -1 ? 'H' : d === -2 ? 'W' : d)).join(',')}`;
  if (sizes.size !== 1) {
    const seen = [...sizes].slice(0, 3).map(([size, file]) => `${file} ${size.replace('x', '×')}`).join(', ');
    throw new ShrinkmlError('BAD_INPUT', `${dir}: images of ${sizes.size} sizes (${seen}${sizes.size > 3 ? ', ...' : ''}) and input '${info.name}' ${fmt(info.shape)} has a free height/width; ${hint}`, {
      subject: '--input-shape',
    });
  }
  const [w, h] = [...sizes.keys()][0]!.split('x').map(Number) as [number, number];
  const height = target.height ?? h;
  const width = target.width ?? w;
  notes.push(`input '${info.name}' ${fmt(info.shape)}: free dims set from the images in ${dir} (${width}×${height}; --input-shape picks another size)`);
  return { spec: { height, width, channels: target.channels, layout: 'NHWC', ...pixels }, shape: target.rebuild(height, width) };
}

const INTEGER = /^(u?int(8|16|32|64)|bool)$/;

/** The inputs .npy of a source: `x.npy`, or the first of `x.npy,y.npy` (inputs and labels). */
function npyOf(source: string): string | undefined {
  const first = source.split(',')[0]!.trim();
  return /\.npy$/i.test(first) ? first : undefined;
}

/** A .npy feeding `info` must have its per-sample dims (values as many, for image-like layouts) and a fitting type. */
async function checkNpy(model: string, file: string, info: ValueInfo, perSample: readonly (number | null)[]): Promise<boolean> {
  const npy = await readNpyFile(file);
  const rest = npy.shape.slice(1);
  const want = perSample.map((d) => d ?? 0);
  const count = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  const same = rest.length === want.length && rest.every((d, i) => d === want[i]);
  if (!same && (npy.shape.length < 2 || count(rest) !== count(want) || want.some((d) => d === 0))) {
    throw new ShrinkmlError('BAD_INPUT', `${file}: shape [${npy.shape.join(', ')}] does not fit input '${info.name}' of ${model}, which takes [N, ${perSample.join(', ')}]`, { subject: file });
  }
  const integerInput = INTEGER.test(info.dtype);
  const integerFile = INTEGER.test(npy.dtype);
  if (integerInput && !integerFile) {
    throw new ShrinkmlError('BAD_INPUT', `${file}: ${npy.dtype} values for input '${info.name}' of ${model}, which takes ${info.dtype}`, {
      subject: file, suggestion: `save it as ${info.dtype}`,
    });
  }
  return integerInput;
}

/**
 * Resolves `--data` (and `--labels`, image scaling) for a model with declared `inputs`: which input each source
 * feeds, how image folders are decoded, and that every .npy fits. Throws one line naming the file or input.
 */
export async function resolveDataFeed(o: { model: string; inputs: readonly ValueInfo[]; request: DataRequest; feeding?: InputOptions }): Promise<ResolvedData> {
  const entries = o.request.data.map(parseDataEntry);
  if (entries.length > 1 && entries.some((e) => !e.name)) {
    throw new ShrinkmlError('BAD_INPUT', `--data is given ${entries.length} times; name the input each one feeds (--data name=<folder|file.npy>)`, { subject: '--data' });
  }
  const names = entries.filter((e) => e.name).map((e) => e.name!);
  if (new Set(names).size !== names.length) throw new ShrinkmlError('BAD_INPUT', `--data names an input twice (${names.join(', ')})`, { subject: '--data' });
  // Naming a one-input model's only input says nothing more (and tfjs renames Layers inputs on every load).
  const redundant = o.inputs.length === 1 && names.length === 1 && names[0] === o.inputs[0]!.name;
  const inputs: InputOptions = { ...o.feeding, ...(names.length && !redundant ? { dataInputs: names } : {}) };
  const shapes = { ...inputs.shapes };
  if (shapes[''] && o.inputs.length === 1) { shapes[o.inputs[0]!.name] = shapes['']!; delete shapes['']; }
  const values = inputs.values ?? {};
  const defaultInput = o.inputs.find((i) => !values[i.name] && i.dtype.startsWith('float')) ?? o.inputs[0];
  const notes: string[] = [];
  const feed: DataFeed = {};
  const several = entries.length > 1;
  const images = entries.filter((e) => isImageFolder(e.source));
  if (o.request.pixels && images.length === 0 && entries.length) {
    throw new ShrinkmlError('BAD_INPUT', `${entries.map((e) => e.source).join(', ')}: --input-range/--mean/--std scale image folders, and no --data source is one`, { subject: '--input-range' });
  }
  for (const e of entries) {
    const info = e.name ? o.inputs.find((i) => i.name === e.name) : defaultInput;
    if (!info) continue; // planFeeds names the missing input below
    const key = several ? info.name : '';
    if (isImageFolder(e.source)) {
      if (o.request.labels) throw new ShrinkmlError('BAD_INPUT', `--labels ${o.request.labels}: an image folder is labelled by its class subfolders, not a labels file`, { subject: '--labels' });
      const { spec, shape } = imageSpec(o.model, info, shapes[info.name], e.source, o.request, notes);
      (feed.images ??= {})[key] = spec;
      if (shape && shape.length === info.shape.length) shapes[info.name] = shape;
    }
  }
  for (const e of entries) {
    const info = e.name ? o.inputs.find((i) => i.name === e.name) : defaultInput;
    const file = npyOf(e.source);
    if (!info || !file || shapes[info.name] || info.shape.slice(1).every(isFixed)) continue;
    // Free dims of an input fed from a .npy take the array's (a stream of 512-sample frames: [frames, 512]).
    const npy = await readNpyFile(file);
    if (npy.shape.length !== info.shape.length || info.shape.some((d, i) => i > 0 && isFixed(d) && d !== npy.shape[i])) {
      throw new ShrinkmlError('BAD_INPUT', `${file}: shape [${npy.shape.join(', ')}] does not fit input '${info.name}' of ${o.model}, which takes ${fmt(info.shape)}`, { subject: file });
    }
    shapes[info.name] = [1, ...npy.shape.slice(1)];
    notes.push(`input '${info.name}' ${fmt(info.shape)}: free dims set from ${file} [${npy.shape.join(', ')}]`);
  }
  // A one-input model's shape goes unnamed: tfjs renames a Layers input on every load (x_1, x_3), and the output
  // is measured as loaded back.
  if (o.inputs.length === 1 && shapes[o.inputs[0]!.name]) { shapes[''] = shapes[o.inputs[0]!.name]!; delete shapes[o.inputs[0]!.name]; }
  if (Object.keys(shapes).length) inputs.shapes = shapes;
  // Every dim resolved, every named input present: the same plan measurement and calibration will make.
  const plan = await planFeeds(o.model, o.inputs, inputs);
  for (const e of entries) {
    const file = npyOf(e.source);
    if (!file) continue;
    const planned = plan.inputs.find((p) => p.info.name === (e.name ?? plan.inputs.find((q) => q.role === 'data')?.info.name));
    if (planned && await checkNpy(o.model, file, planned.info, planned.dims.slice(1))) (feed.asStored ??= []).push(several ? planned.info.name : '');
  }
  let source = entries.map((e) => (several ? `${e.name}=${e.source}` : e.source)).join(' ');
  if (o.request.labels) {
    if (several) feed.labels = o.request.labels;
    else if (/\.npy$/i.test(source)) source = `${source},${o.request.labels}`;
    else throw new ShrinkmlError('BAD_INPUT', `--labels ${o.request.labels}: pairs with --data <x.npy>`, { subject: '--labels' });
  }
  if (several) feed.sources = Object.fromEntries(entries.map((e) => [e.name!, e.source]));
  const hasInputs = Object.keys(inputs).length > 0;
  return { source, feed: Object.keys(feed).length ? feed : undefined, inputs: hasInputs ? inputs : undefined, notes };
}
