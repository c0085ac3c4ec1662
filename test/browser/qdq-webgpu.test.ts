// Quantized models in onnxruntime-web's WebGPU provider (SwiftShader in headless Chromium) against its WebAssembly
// provider: the committed MNIST models and one real model (PaddleOCR's opset-9 text-direction classifier, upgraded
// in-tool, on photos), each as weight-only int8 and as static QDQ written for the WebGPU target. onnxruntime-web
// 1.30.0's WebGPU DequantizeLinear is wrong on per-tensor 8-bit scales and on uint8 zero points (src/onnx/static.ts,
// WEBGPU_QDQ, says where); the 'webgpu' target writes the form it computes right, and both providers agree within
// 1e-3 on every output. Skipped loudly without Chromium; mandatory when CI is set.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/index.js';
import { decodeOnnx, graphInputs } from '../../src/formats/onnx/decode.js';
import { encodeOnnx } from '../../src/formats/onnx/write.js';
import { upgradeOpset } from '../../src/onnx/opset/upgrade.js';
import { calibrateAndQuantizeStatic } from '../../src/onnx/static-calibrated.js';
import { storeWeights } from '../../src/onnx/weight-only.js';
import type { QdqReport, QdqRequest } from './qdq-page.js';

const CHROMIUM = process.env.SHRINKML_CHROMIUM ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) console.warn(`\n!!! Browser QDQ WebGPU test SKIPPED: no Chromium at ${CHROMIUM} (set SHRINKML_CHROMIUM)\n`);

const MODELS = ['mnist-lenet-300-100', 'mnist-lenet5', 'mnist-residual', 'ppocr-cls'];
/** The real model: test/fixtures/onnx-real (licence there), calibrated on three photos at 48×192, compared on the first (SwiftShader is slow). */
const REAL = { file: 'test/fixtures/onnx-real/ch_ppocr_mobile_v2.0_cls_infer.onnx', photos: 'test/fixtures/onnx-real/photos-3x3x48x192.f32', dims: [1, 3, 48, 192] };
const ORT_DIST = join(process.cwd(), 'node_modules/onnxruntime-web/dist');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader',
  '--disable-vulkan-surface', '--ignore-gpu-blocklist'];

let dir = '';
let server: Server | undefined;
let origin = '';
const dims: Record<string, number[]> = {};
const inputs: Record<string, string> = {};

beforeAll(async () => {
  if (skip) return;
  await tf.setBackend('cpu');
  const calib = await loadData({ source: 'mnist', split: 'calibration', limit: 64 });
  const test = await loadData({ source: 'mnist', split: 'test', limit: 16 });
  dir = await mkdtemp(join(tmpdir(), 'shrinkml-qdq-'));
  await build({ entryPoints: [new URL('./qdq-page.ts', import.meta.url).pathname], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: join(dir, 'bundle.js'), logLevel: 'silent' });
  const files: Record<string, Uint8Array> = {};
  const mnist = new Uint8Array(test.x.buffer, test.x.byteOffset, test.x.byteLength);
  for (const name of MODELS) {
    const real = name === 'ppocr-cls';
    const file = real ? REAL.file : `models/onnx/${name}.onnx`;
    let float = decodeOnnx(new Uint8Array(readFileSync(file)), name).model;
    // Per-axis QuantizeLinear/DequantizeLinear need opset 13; the compress pipeline upgrades the same way.
    float = upgradeOpset(float, 13, { file }).model;
    const input = graphInputs(float, name)[0]!;
    const photos = new Uint8Array(readFileSync(REAL.photos));
    dims[name] = real ? REAL.dims : [16, ...input.shape.slice(1).map(Number)];
    inputs[name] = `/input-${name}.bin`;
    files[inputs[name]!] = real ? photos.slice(0, photos.length / 3) : mnist;
    const calibration = real
      ? { batches: [{ [input.name]: { data: new Float32Array(photos.buffer, photos.byteOffset, photos.byteLength / 4), dims: [3, 3, 48, 192] } }], total: 3 }
      : { dataset: calib, input };
    files[`/models/${name}-static.onnx`] = encodeOnnx((await calibrateAndQuantizeStatic(float, { calibration, target: 'webgpu' })).model);
    files[`/models/${name}-int8.onnx`] = encodeOnnx(storeWeights(float, { format: 'int8' }).model);
  }
  files['/bundle.js'] = await readFile(join(dir, 'bundle.js'));
  const html = '<!doctype html><meta charset="utf-8"><title>shrinkml qdq</title><link rel="icon" href="data:,"><script type="module" src="/bundle.js"></script>';
  server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    const ort = url.startsWith('/ort/') ? join(ORT_DIST, basename(url)) : '';
    if (ort && existsSync(ort)) res.writeHead(200, { 'content-type': TYPES[ort.slice(ort.lastIndexOf('.'))] ?? 'application/octet-stream' }).end(await readFile(ort));
    else if (files[url]) res.writeHead(200, { 'content-type': TYPES[url.slice(url.lastIndexOf('.'))] ?? 'application/octet-stream' }).end(files[url]);
    else if (url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}, 180_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function runIn(ep: 'wasm' | 'webgpu'): Promise<QdqReport> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...(ep === 'webgpu' ? WEBGPU_ARGS : []), '--no-sandbox', '--headless=new'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => 'runQdq' in globalThis, undefined, { timeout: 30_000 });
    const request: QdqRequest = {
      models: MODELS.flatMap((m) => ['static', 'int8'].map((v) => ({ url: `/models/${m}-${v}.onnx`, dims: dims[m]!, input: inputs[m]! }))), executionProvider: ep,
    };
    const report = await page.evaluate((r) => (globalThis as unknown as { runQdq(r: QdqRequest): Promise<QdqReport> }).runQdq(r), request);
    expect(errors).toEqual([]);
    return report;
  } finally {
    await browser.close();
  }
}

let reports: Promise<[QdqReport, QdqReport]> | undefined;
/** Both providers' outputs, computed once for both tests; undefined when WebGPU is unavailable outside CI. */
async function both(): Promise<[QdqReport, QdqReport] | undefined> {
  reports ??= (async () => [await runIn('wasm'), await runIn('webgpu')] as [QdqReport, QdqReport])();
  const [wasm, gpu] = await reports;
  if (gpu.unavailable && !process.env.CI) {
    console.warn(`\n!!! onnxruntime-web WebGPU unavailable in Chromium, QDQ WebGPU comparison SKIPPED: ${gpu.unavailable}\n`);
    return undefined;
  }
  expect(gpu.unavailable).toBeNull();
  expect(gpu.adapter).not.toBe('');
  return [wasm, gpu];
}

const maxErr = (r: [QdqReport, QdqReport], url: string) => {
  const [a, b] = [r[0].outputs[url]!, r[1].outputs[url]!];
  expect(b.length, url).toBe(a.length);
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
};

describe.skipIf(skip)('quantized models in onnxruntime-web: WebGPU vs WebAssembly (headless Chromium)', () => {
  it.each(['int8', 'static'])('%s (weights:int8 / static QDQ for the WebGPU target): WebGPU within 1e-3 of wasm on every output of every model', async (variant) => {
    const r = await both();
    if (!r) return;
    for (const m of MODELS) expect(maxErr(r, `/models/${m}-${variant}.onnx`), m).toBeLessThanOrEqual(1e-3);
  }, 300_000);
});
