import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ShrinkmlError } from '../core/errors.js';
import { inputsFrom, labelsFrom, pairSet } from './convert.js';
import { classesOf, loadIdxPair } from './idx-pair.js';
import { readNpyFile } from './npy.js';
import type { RawSet, RawSource } from './types.js';

const HOW = 'pass a folder of images or of IDX files (train-images-idx3-ubyte[.gz] ...), a .npy file, or inputs.npy,labels.npy';
const NPY_PAIRS: [string, string][] = [['x.npy', 'y.npy'], ['inputs.npy', 'labels.npy'], ['images.npy', 'labels.npy']];

function notFound(path: string): ShrinkmlError {
  return new ShrinkmlError('NOT_FOUND', `${path}: no such file or folder`, { subject: path, suggestion: HOW });
}

function isFile(path: string): boolean {
  try { return statSync(path).isFile(); } catch { return false; }
}

/**
 * Resolves a user data path: `a.npy,b.npy` (inputs and labels), a lone `.npy` (unlabelled inputs), or a folder
 * holding IDX files or one of the .npy pairs x.npy+y.npy, inputs.npy+labels.npy, images.npy+labels.npy.
 */
export async function loadUserSource(path: string, asStored = false): Promise<RawSource> {
  if (path.includes(',')) {
    const parts = path.split(',').map((p) => p.trim());
    if (parts.length !== 2 || !parts.every((p) => p.endsWith('.npy'))) {
      throw new ShrinkmlError('BAD_INPUT', `${path}: expected exactly two .npy files, inputs.npy,labels.npy`, { subject: path, suggestion: HOW });
    }
    return single(await loadNpyPair(parts[0]!, parts[1]!, asStored));
  }
  let stat;
  try { stat = statSync(path); } catch { throw notFound(path); }
  if (stat.isFile()) {
    if (path.endsWith('.npy') || path.endsWith('.npy.gz')) return single(await loadNpyPair(path, undefined, asStored));
    throw new ShrinkmlError('BAD_INPUT', `${path}: not a .npy file or a folder`, { subject: path, suggestion: HOW });
  }
  const idx = await loadIdxFolder(path);
  if (idx) return idx;
  const pair = NPY_PAIRS.find(([x, y]) => isFile(join(path, x)) && isFile(join(path, y)));
  if (pair) return single(await loadNpyPair(join(path, pair[0]), join(path, pair[1])));
  throw new ShrinkmlError('BAD_INPUT', `${path}: no images (.jpg, .jpeg, .png, also in class subfolders), IDX files (*images*idx3*, *labels*idx1*) or .npy pair found in this folder`, {
    subject: path, suggestion: HOW,
  });
}

function single(set: RawSet): RawSource {
  return { kind: 'single', set, classes: classesOf(set) };
}

async function loadNpyPair(inputs: string, labels?: string, asStored = false): Promise<RawSet> {
  const [x, y] = await Promise.all([readNpyFile(inputs), labels ? readNpyFile(labels) : undefined]);
  const raw = inputsFrom(x, inputs, asStored);
  return pairSet(raw, inputs, y && labels ? labelsFrom(y, labels) : undefined, labels);
}

type Part = 'train' | 'test' | 'other';
const partOf = (name: string): Part => (/^train/i.test(name) ? 'train' : /^(t10k|test)/i.test(name) ? 'test' : 'other');

/** Finds images/labels IDX files by their usual names; null when the folder has none. */
async function loadIdxFolder(dir: string): Promise<RawSource | null> {
  const names = readdirSync(dir).filter((n) => isFile(join(dir, n))).sort();
  const images = names.filter((n) => /images.*idx3/i.test(n));
  const labels = names.filter((n) => /labels.*idx1/i.test(n));
  if (images.length === 0) {
    if (labels.length > 0) throw new ShrinkmlError('BAD_INPUT', `${dir}: IDX label files but no *images*idx3* file`, { subject: dir });
    return null;
  }
  const pick = (list: string[], part: Part): string | undefined => {
    const found = list.filter((n) => partOf(n) === part);
    if (found.length > 1) {
      throw new ShrinkmlError('BAD_INPUT', `${dir}: several ${part} IDX files (${found.join(', ')}); keep one`, { subject: dir });
    }
    return found[0] === undefined ? undefined : join(dir, found[0]);
  };
  const parts = (['train', 'test', 'other'] as Part[]).filter((p) => pick(images, p) !== undefined);
  const load = (p: Part) => loadIdxPair(pick(images, p)!, pick(labels, p));
  if (parts.length === 1) {
    const set = await load(parts[0]!);
    return single(set);
  }
  if (parts.includes('train') && parts.includes('test') && parts.length === 2) {
    const [train, test] = await Promise.all([load('train'), load('test')]);
    return { kind: 'split', train, test, classes: classesOf(train, test) };
  }
  throw new ShrinkmlError('BAD_INPUT', `${dir}: cannot tell which IDX images file is train and which is test (${images.map((n) => basename(n)).join(', ')})`, {
    subject: dir, suggestion: 'name them train-images-idx3-ubyte and t10k-images-idx3-ubyte (or test-...)',
  });
}
