import { ShrinkmlError } from '../core/errors.js';
import { BUILTIN_DATASETS, findBuiltinDataset } from './builtin/index.js';
import { isImageFolder, loadImageFolder, type ImageInputSpec } from './images.js';
import { selectSplit } from './splits.js';
import { SPLITS, type BuiltinDataset, type Dataset, type LoadDataOptions, type RawSet, type RawSource } from './types.js';
import { loadUserSource } from './user-source.js';

/**
 * The one entry point for data: a built-in dataset by name or a user path, cut to a split.
 * A name of a built-in dataset wins over a folder of the same name; write `./mnist` for the folder.
 */
export async function loadData(options: LoadDataOptions): Promise<Dataset> {
  if (options.feed?.sources) return loadSeveral(options, options.feed.sources);
  const { source, split } = options;
  if (!SPLITS.includes(split)) {
    throw new ShrinkmlError('BAD_INPUT', `unknown split '${split}'`, { subject: 'split', suggestion: `use one of ${SPLITS.join(', ')}` });
  }
  if (!source) {
    throw new ShrinkmlError('BAD_INPUT', 'no data source given', {
      subject: '--data', suggestion: `use ${BUILTIN_DATASETS.map((d) => d.name).join(', ')} or a path`,
    });
  }
  const builtin = findBuiltinDataset(source);
  const raw: RawSource = builtin ? await loadBuiltin(builtin)
    : await loadImagesOr(source, options.feed?.images?.[''], () => loadUserSource(source, !!options.feed?.asStored?.includes('')));
  if (raw.kind === 'split' && raw.train.sampleShape.join(',') !== raw.test.sampleShape.join(',')) {
    throw new ShrinkmlError('BAD_INPUT', `${raw.test.files[0]}: test samples are [${raw.test.sampleShape}] but train samples are [${raw.train.sampleShape}]`, {
      subject: raw.test.files[0],
    });
  }
  const { set, indices } = selectSplit({ source: raw, split, limit: options.limit, calibrationSeed: options.calibrationSeed, holdOut: options.holdOut, name: source });
  if (indices.length === 0) {
    throw new ShrinkmlError('BAD_INPUT', `${source}: the ${split} split is empty`, { subject: set.files[0] });
  }
  return {
    name: source,
    split,
    count: indices.length,
    sampleShape: [...set.sampleShape],
    x: gatherValues(set, indices),
    labels: set.labels ? gatherLabels(set.labels, indices) : undefined,
    classes: raw.classes,
    classNames: raw.classNames,
    files: [...set.files],
  };
}

/**
 * `--data name=src` once per data input: each source is cut to the same split (the same indices, as the counts
 * agree) and the inputs travel together in `inputs`; labels come from `feed.labels` or the first labelled source.
 */
async function loadSeveral(options: LoadDataOptions, sources: Record<string, string>): Promise<Dataset> {
  const { feed } = options;
  const parts: [string, Dataset][] = [];
  for (const [name, source] of Object.entries(sources)) {
    const images = feed?.images?.[name];
    const part = await loadData({
      ...options, source, feed: { images: images ? { '': images } : undefined, asStored: feed?.asStored?.includes(name) ? [''] : undefined },
    });
    parts.push([name, part]);
  }
  const [first] = parts;
  if (!first) throw new ShrinkmlError('BAD_INPUT', 'no data source given', { subject: '--data' });
  for (const [name, part] of parts) {
    if (part.count !== first[1].count) {
      throw new ShrinkmlError('BAD_INPUT', `${part.files[0] ?? part.name}: ${part.count} samples for input '${name}' but ${first[1].count} for '${first[0]}' (${first[1].files[0] ?? first[1].name})`, {
        subject: part.files[0] ?? name, suggestion: 'give every --data name=... source the same number of samples',
      });
    }
  }
  let labels = parts.find(([, p]) => p.labels)?.[1];
  if (feed?.labels) {
    const npy = Object.values(sources).find((p) => /\.npy$/i.test(p));
    if (!npy) throw new ShrinkmlError('BAD_INPUT', `--labels ${feed.labels}: pairs with .npy sources (image folders are labelled by class subfolders)`, { subject: '--labels' });
    // Cut with the same split as the inputs: paired with a source of the same sample count.
    const y = await loadData({ ...options, source: `${npy},${feed.labels}`, feed: undefined });
    if (y.count !== first[1].count) throw new ShrinkmlError('BAD_INPUT', `${feed.labels}: ${y.count} labels for ${first[1].count} samples`, { subject: feed.labels });
    labels = y;
  }
  return {
    ...first[1], name: options.source, inputs: Object.fromEntries(parts),
    labels: labels?.labels, classes: labels?.classes, classNames: labels?.classNames,
    files: parts.flatMap(([, p]) => p.files),
  };
}

/**
 * An image folder is decoded to the size its input wants (`images`), shuffled with a fixed seed, and then cut to
 * splits like any single-set source; anything else is `other()`. The last folder decoded is kept: the pipeline asks
 * for its splits one by one.
 */
let lastImages: { key: string; raw: Promise<RawSource> } | undefined;

async function loadImagesOr(source: string, images: ImageInputSpec | undefined, other: () => Promise<RawSource>): Promise<RawSource> {
  if (!isImageFolder(source)) return other();
  if (!images) {
    throw new ShrinkmlError('BAD_INPUT', `${source}: a folder of images is decoded to the model's input size, which is not known here`, {
      subject: source, suggestion: 'load it for a model (resolveDataFeed), or give the images as .npy',
    });
  }
  const key = JSON.stringify([source, images]);
  if (lastImages?.key !== key) {
    const raw = loadImageFolder({ ...images, layout: 'NHWC', dir: source }).then((d): RawSource => ({
      kind: 'single', classes: d.classes, classNames: d.classNames,
      set: { values: d.x, divisor: 1, count: d.count, sampleShape: d.sampleShape, labels: d.labels, files: d.files },
    }));
    lastImages = { key, raw };
    raw.catch(() => { if (lastImages?.raw === raw) lastImages = undefined; });
  }
  return lastImages.raw;
}

/**
 * Built-in sets never change, so the last one read is kept: the CLI validates --data before probing a backend
 * and each split a pipeline loads later then costs a gather, not another read of the files. One entry bounds memory.
 */
let lastBuiltin: { name: string; raw: Promise<RawSource> } | undefined;

function loadBuiltin(dataset: BuiltinDataset): Promise<RawSource> {
  if (lastBuiltin?.name !== dataset.name) {
    const raw = dataset.load();
    lastBuiltin = { name: dataset.name, raw };
    raw.catch(() => { if (lastBuiltin?.raw === raw) lastBuiltin = undefined; });
  }
  return lastBuiltin.raw;
}

function gatherValues(set: RawSet, indices: Int32Array): Float32Array {
  const size = set.sampleShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(indices.length * size);
  const { values, divisor } = set;
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i]! * size;
    const to = i * size;
    for (let j = 0; j < size; j++) out[to + j] = values[from + j]! / divisor;
  }
  return out;
}

function gatherLabels(labels: Int32Array, indices: Int32Array): Int32Array {
  const out = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = labels[indices[i]!]!;
  return out;
}
