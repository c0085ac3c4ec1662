import { ShrinkmlError } from '../core/errors.js';
import { BUILTIN_DATASETS, findBuiltinDataset } from './builtin/index.js';
import { selectSplit } from './splits.js';
import { SPLITS, type BuiltinDataset, type Dataset, type LoadDataOptions, type RawSet, type RawSource } from './types.js';
import { loadUserSource } from './user-source.js';

/**
 * The one entry point for data: a built-in dataset by name or a user path, cut to a split.
 * A name of a built-in dataset wins over a folder of the same name; write `./mnist` for the folder.
 */
export async function loadData(options: LoadDataOptions): Promise<Dataset> {
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
  const raw: RawSource = builtin ? await loadBuiltin(builtin) : await loadUserSource(source);
  if (raw.kind === 'split' && raw.train.sampleShape.join(',') !== raw.test.sampleShape.join(',')) {
    throw new ShrinkmlError('BAD_INPUT', `${raw.test.files[0]}: test samples are [${raw.test.sampleShape}] but train samples are [${raw.train.sampleShape}]`, {
      subject: raw.test.files[0],
    });
  }
  const { set, indices } = selectSplit({ source: raw, split, limit: options.limit, calibrationSeed: options.calibrationSeed, name: source });
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
