import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { ShrinkmlError } from '../core/errors.js';
import { mulberry32 } from '../core/random.js';
import { readNpyFile } from './npy.js';
import type { Dataset, Split } from './types.js';

/**
 * A folder of photos as model inputs: JPEG/PNG decoded in pure JS (jpeg-js, pngjs: no native addons, so it runs
 * wherever Node does), resized bilinearly to the model's input, laid out NHWC or NCHW, scaled to the range the
 * model was trained on. Images directly in the folder are unlabelled (calibration and fidelity against the input
 * model); a folder whose subfolders hold the images is labelled, one class per subfolder in sorted order.
 * `.npy` files are samples already preprocessed: one per file, [H, W, C] or [C, H, W] as the model wants it.
 */
export interface ImageInputSpec {
  height: number;
  width: number;
  channels: 1 | 3;
  layout: 'NHWC' | 'NCHW';
  /** Pixel p in [0, 255] becomes v = lo + p / 255 · (hi − lo). Default [0, 1]. */
  range?: [number, number];
  /**
   * Then (v − mean[c]) / std[c] per channel, in the units of `range`: torchvision's ImageNet normalisation is
   * range [0, 1], mean 0.485,0.456,0.406, std 0.229,0.224,0.225; Caffe-style is range [0, 255] with means in 0..255.
   */
  mean?: number[];
  std?: number[];
}

export interface ImageFolderOptions extends ImageInputSpec {
  dir: string;
  /** Keep at most this many samples (after the seeded shuffle). */
  limit?: number;
  /** Order of the samples (and of the crops' positions). Default 0. */
  seed?: number;
  /**
   * Seeded random crops per image (side 40–100% of the shorter side, anywhere in the image) instead of one whole
   * image: a handful of photos yields a hundred distinct inputs. Default 0 (the whole image, resized).
   */
  cropsPerImage?: number;
  split?: Split;
}

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png'];
const SAMPLE_EXTENSIONS = [...IMAGE_EXTENSIONS, '.npy'];

/** Hard limits on untrusted images: a 100-megapixel PNG is someone's mistake, not a calibration sample. */
const MAX_PIXELS = 50e6;

export interface DecodedImage { width: number; height: number; /** RGBA, 8 bits per channel */ data: Uint8Array }

export function decodeImage(bytes: Uint8Array, file: string): DecodedImage {
  const ext = extname(file).toLowerCase();
  try {
    if (ext === '.png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, data: img.data };
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new ShrinkmlError('BAD_INPUT', `${file}: cannot decode the image (${why})`, { subject: file, cause: e });
  }
}

/** A rectangle of the source image, in pixels. */
export interface Crop { x: number; y: number; width: number; height: number }

/**
 * Bilinear resize of `crop` to height × width with half-pixel centres (tf.image.resizeBilinear with
 * halfPixelCenters, PIL's geometry), RGB(A) → `channels` (grey = ITU-R 601 luma). Output HWC, values 0..255.
 */
export function resizeBilinear(img: DecodedImage, o: { height: number; width: number; channels: 1 | 3; crop?: Crop }): Float32Array {
  const crop = o.crop ?? { x: 0, y: 0, width: img.width, height: img.height };
  const out = new Float32Array(o.height * o.width * o.channels);
  const sx = crop.width / o.width;
  const sy = crop.height / o.height;
  const px = (x: number, y: number, c: number) => img.data[(y * img.width + x) * 4 + c]!;
  for (let j = 0; j < o.height; j++) {
    const fy = Math.min(Math.max(crop.y + (j + 0.5) * sy - 0.5, crop.y), crop.y + crop.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, crop.y + crop.height - 1);
    const wy = fy - y0;
    for (let i = 0; i < o.width; i++) {
      const fx = Math.min(Math.max(crop.x + (i + 0.5) * sx - 0.5, crop.x), crop.x + crop.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, crop.x + crop.width - 1);
      const wx = fx - x0;
      const rgb = [0, 1, 2].map((c) => (px(x0, y0, c) * (1 - wx) + px(x1, y0, c) * wx) * (1 - wy) + (px(x0, y1, c) * (1 - wx) + px(x1, y1, c) * wx) * wy);
      const at = (j * o.width + i) * o.channels;
      if (o.channels === 3) { out[at] = rgb[0]!; out[at + 1] = rgb[1]!; out[at + 2] = rgb[2]!; } else out[at] = 0.299 * rgb[0]! + 0.587 * rgb[1]! + 0.114 * rgb[2]!;
    }
  }
  return out;
}

/** `--mean`/`--std`: one value, or one per channel (r,g,b); std values must be positive. */
export function parseChannelValues(flag: '--mean' | '--std', text: string): number[] {
  const parts = text.split(',').map((t) => Number(t.trim()));
  if (!(parts.length === 1 || parts.length === 3) || !parts.every(Number.isFinite) || (flag === '--std' && parts.some((v) => v <= 0))) {
    throw new ShrinkmlError('BAD_INPUT', `${flag} ${text}: expected one number or r,g,b${flag === '--std' ? ' (positive)' : ''}, in the units of --input-range`, { subject: flag });
  }
  return parts;
}

/** `0,1` | `0,255` | `-1,1` (any lo,hi with lo < hi) → [lo, hi]. */
export function parseInputRange(text: string): [number, number] {
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0]! < parts[1]!)) {
    throw new ShrinkmlError('BAD_INPUT', `--input-range ${text}: expected lo,hi such as 0,1 or 0,255 or -1,1`, { subject: '--input-range' });
  }
  return [parts[0]!, parts[1]!];
}

/** HWC pixels 0..255 → the model's layout and scale, written into `out` at `offset`. */
export function pixelsToInput(hwc: Float32Array, spec: ImageInputSpec, out: Float32Array, offset: number): void {
  const { height: h, width: w, channels: c } = spec;
  const [lo, hi] = spec.range ?? [0, 1];
  for (let k = 0; k < c; k++) {
    const mean = spec.mean ? spec.mean[k % spec.mean.length]! : undefined;
    const std = spec.std ? spec.std[k % spec.std.length]! : 1;
    for (let p = 0; p < h * w; p++) {
      const v = hwc[p * c + k]!;
      const scaled = (lo + (v / 255) * (hi - lo) - (mean ?? 0)) / std;
      out[offset + (spec.layout === 'NHWC' ? p * c + k : k * h * w + p)] = scaled;
    }
  }
}

interface Entry { file: string; label?: number }

/**
 * Width and height from an image's header, without decoding it (PNG IHDR; JPEG's first SOFn marker), so a folder's
 * sizes are known before the model's free dims are chosen. Undefined when the header is not one of those.
 */
export function imageSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  if (bytes.length >= 24 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return { width: v.getUint32(16), height: v.getUint32(20) };
  }
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  for (let at = 2; at + 9 < bytes.length;) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) { at++; continue; }
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (bytes[at + 5]! << 8) | bytes[at + 6]!, width: (bytes[at + 7]! << 8) | bytes[at + 8]! };
    }
    at += 2 + length;
  }
  return undefined;
}

/** Whether `dir` is a folder of images (directly, or in class subfolders) rather than IDX/.npy data. */
export function isImageFolder(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false;
    const names = readdirSync(dir);
    const isImage = (n: string) => IMAGE_EXTENSIONS.includes(extname(n).toLowerCase());
    if (names.some(isImage)) return true;
    return names.some((n) => !n.startsWith('.') && statSync(join(dir, n)).isDirectory() && readdirSync(join(dir, n)).some(isImage));
  } catch {
    return false;
  }
}

/** The distinct sizes of a folder's images ("WxH" → first file of that size), read from their headers. */
export function imageFolderSizes(dir: string): Map<string, string> {
  const sizes = new Map<string, string>();
  for (const { file } of listSamples(dir).entries) {
    if (extname(file).toLowerCase() === '.npy') continue;
    const size = imageSize(readFileSync(file));
    if (!size) throw new ShrinkmlError('BAD_INPUT', `${file}: not a PNG or JPEG image (cannot read its size)`, { subject: file });
    const key = `${size.width}x${size.height}`;
    if (!sizes.has(key)) sizes.set(key, file);
  }
  return sizes;
}

function listSamples(dir: string): { entries: Entry[]; classNames?: string[] } {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    names = readdirSync(dir).sort();
  } catch {
    throw new ShrinkmlError('NOT_FOUND', `${dir}: no such folder`, { subject: dir });
  }
  const isSample = (n: string) => SAMPLE_EXTENSIONS.includes(extname(n).toLowerCase());
  const files = names.filter((n) => isSample(n) && statSync(join(dir, n)).isFile()).map((n) => ({ file: join(dir, n) }));
  const classNames = names.filter((n) => !n.startsWith('.') && statSync(join(dir, n)).isDirectory());
  if (files.length === 0 && classNames.length > 0) {
    const entries = classNames.flatMap((name, label) => readdirSync(join(dir, name)).sort().filter(isSample).map((n) => ({ file: join(dir, name, n), label })));
    if (entries.length) return { entries, classNames };
  }
  if (files.length === 0) {
    throw new ShrinkmlError('BAD_INPUT', `${dir}: no images (${SAMPLE_EXTENSIONS.join(', ')}) in this folder or its class subfolders`, { subject: dir });
  }
  return { entries: files };
}

function shuffle<T>(items: T[], rnd: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function randomCrop(img: DecodedImage, rnd: () => number): Crop {
  const side = Math.max(1, Math.round(Math.min(img.width, img.height) * (0.4 + 0.6 * rnd())));
  return { x: Math.floor(rnd() * (img.width - side + 1)), y: Math.floor(rnd() * (img.height - side + 1)), width: side, height: side };
}

function npySample(file: string, spec: ImageInputSpec, out: Float32Array, offset: number): Promise<void> {
  return readNpyFile(file).then((a) => {
    const size = spec.height * spec.width * spec.channels;
    if (a.data.length !== size) {
      const want = spec.layout === 'NHWC' ? [spec.height, spec.width, spec.channels] : [spec.channels, spec.height, spec.width];
      throw new ShrinkmlError('BAD_INPUT', `${file}: shape [${a.shape}] does not match the model input [${want}]`, { subject: file });
    }
    for (let i = 0; i < size; i++) out[offset + i] = Number(a.data[i]);
  });
}

/** Decodes the folder into a Dataset in the model's layout (see ImageInputSpec). */
export async function loadImageFolder(o: ImageFolderOptions): Promise<Dataset> {
  const { entries, classNames } = listSamples(o.dir);
  const rnd = mulberry32(o.seed ?? 0);
  const crops = Math.max(0, o.cropsPerImage ?? 0);
  type Job = { entry: Entry; crop: number };
  let jobs: Job[] = entries.flatMap((entry) => (crops && extname(entry.file).toLowerCase() !== '.npy'
    ? Array.from({ length: crops }, (_, crop) => ({ entry, crop })) : [{ entry, crop: -1 }]));
  jobs = shuffle(jobs, rnd);
  if (o.limit !== undefined) jobs = jobs.slice(0, o.limit);
  const size = o.height * o.width * o.channels;
  const x = new Float32Array(jobs.length * size);
  const labels = classNames ? new Int32Array(jobs.length) : undefined;
  const decoded = new Map<string, DecodedImage>();
  for (const [n, job] of jobs.entries()) {
    const { file } = job.entry;
    if (labels) labels[n] = job.entry.label!;
    if (extname(file).toLowerCase() === '.npy') { await npySample(file, o, x, n * size); continue; }
    let img = decoded.get(file);
    if (!img) {
      img = decodeImage(readFileSync(file), file);
      if (img.width * img.height > MAX_PIXELS) throw new ShrinkmlError('LIMIT', `${file}: ${img.width}×${img.height} is over ${MAX_PIXELS / 1e6} megapixels`, { subject: file });
      // Crops of one photo come in a row after shuffling only by chance; keep the decoded photo while any remain.
      if (crops) decoded.set(file, img);
    }
    // A crop's position depends on the seed, the photo and the crop number only, not on the sample order.
    const crop = job.crop >= 0 ? randomCrop(img, mulberry32(((o.seed ?? 0) * 7919 + hash(basename(file)) * 31 + job.crop) >>> 0)) : undefined;
    pixelsToInput(resizeBilinear(img, { height: o.height, width: o.width, channels: o.channels, crop }), o, x, n * size);
  }
  return {
    name: o.dir, split: o.split ?? 'test', count: jobs.length,
    sampleShape: o.layout === 'NHWC' ? [o.height, o.width, o.channels] : [o.channels, o.height, o.width],
    x, files: [...new Set(jobs.map((j) => j.entry.file))],
    ...(labels ? { labels, classes: classNames!.length, classNames } : {}),
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
