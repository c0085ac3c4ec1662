// Calibration in a real browser: src/onnx's browser-safe entry (src/onnx/browser.ts) and onnxruntime-web bundled
// with esbuild, served from 127.0.0.1 (onnxruntime-web fetches its .wasm, which file:// cannot), run in headless
// Chromium on the wasm and the WebGPU (SwiftShader) providers; the ranges must match onnxruntime-node's in Node.
// Mandatory when CI is set; skipped loudly without Chromium (and WebGPU alone skipped loudly without an adapter).
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/types.js';
import { decodeOnnx } from '../../src/formats/onnx/decode.js';
import { calibrateOnnx } from '../../src/onnx/calibrate.js';
import type { CalibrationReport, CalibrationRequest } from './calibrate-page.js';

const CHROMIUM = process.env.SHRINKML_CHROMIUM ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) console.warn(`\n!!! Browser calibration test SKIPPED: no Chromium at ${CHROMIUM} (set SHRINKML_CHROMIUM)\n`);

const MODELS = ['mnist-lenet-300-100', 'mnist-lenet5'];
const ORT_DIST = join(process.cwd(), 'node_modules/onnxruntime-web/dist');
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

let dir = '';
let server: Server | undefined;
let origin = '';
let calib: Dataset;
/** onnxruntime-web files the page fetched: proof it ran the WebAssembly build. */
const served = new Set<string>();

beforeAll(async () => {
  if (skip) return;
  await tf.setBackend('cpu');
  calib = await loadData({ source: 'mnist', split: 'calibration', limit: 64 });
  dir = await mkdtemp(join(tmpdir(), 'shrinkml-calibrate-'));
  await build({
    entryPoints: [new URL('./calibrate-page.ts', import.meta.url).pathname], bundle: true, format: 'esm',
    platform: 'browser', target: 'es2022', outfile: join(dir, 'bundle.js'), logLevel: 'silent',
  });
  const files: Record<string, () => Promise<Uint8Array>> = {
    '/bundle.js': () => readFile(join(dir, 'bundle.js')),
    '/samples.bin': async () => new Uint8Array(calib.x.buffer, calib.x.byteOffset, calib.x.byteLength),
    ...Object.fromEntries(MODELS.map((m) => [`/models/${m}.onnx`, () => readFile(`models/onnx/${m}.onnx`)])),
  };
  const html = '<!doctype html><meta charset="utf-8"><title>shrinkml calibration</title><link rel="icon" href="data:,"><script type="module" src="/bundle.js"></script>';
  server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    const ort = url.startsWith('/ort/') ? join(ORT_DIST, basename(url)) : '';
    if (ort && existsSync(ort)) {
      served.add(basename(ort));
      res.writeHead(200, { 'content-type': TYPES[ort.slice(ort.lastIndexOf('.'))] ?? 'application/octet-stream' }).end(await readFile(ort));
    } else if (files[url]) {
      res.writeHead(200, { 'content-type': TYPES[url.slice(url.lastIndexOf('.'))] ?? 'application/octet-stream' }).end(await files[url]!());
    } else if (url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Software WebGPU (SwiftShader), as in browser.test.ts: onnxruntime-web's WebGPU provider then runs without a GPU. */
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader',
  '--disable-vulkan-surface', '--ignore-gpu-blocklist'];

describe.skipIf(skip)('calibration in headless Chromium (onnxruntime-web)', () => {
  it.each([
    ['wasm', []],
    ['webgpu', WEBGPU_ARGS],
  ] as const)('%s: the ranges onnxruntime-node gives in Node, with progress per batch', async (ep, args) => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...args, '--no-sandbox', '--headless=new'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => 'runCalibration' in globalThis, undefined, { timeout: 30_000 });
      for (const name of MODELS) {
        const request: CalibrationRequest = {
          model: `/models/${name}.onnx`, samples: '/samples.bin', count: calib.count, sampleShape: calib.sampleShape,
          batchSize: 16, executionProvider: ep,
        };
        const report = await page.evaluate((r) => (globalThis as unknown as { runCalibration(r: CalibrationRequest): Promise<CalibrationReport> }).runCalibration(r), request);
        if (ep === 'webgpu' && report.unavailable && !process.env.CI) {
          console.warn(`\n!!! onnxruntime-web WebGPU unavailable in Chromium, browser calibration on WebGPU SKIPPED: ${report.unavailable}\n`);
          return;
        }
        expect(report.unavailable).toBeNull();
        if (ep === 'webgpu') expect(report.adapter).not.toBe('');
        expect(report.ortVersion).toBe(JSON.parse(readFileSync('node_modules/onnxruntime-web/package.json', 'utf8')).version);
        expect(report.progress.map((e) => [e.done, e.total, e.message])).toEqual([16, 32, 48, 64].map((d) => [d, 64, `onnxruntime-web (${ep})`]));
        const model = decodeOnnx(readFileSync(`models/onnx/${name}.onnx`), name).model;
        const { ranges } = await calibrateOnnx({ model, dataset: calib, batchSize: 16 });
        expect(Object.keys(report.ranges).sort()).toEqual(Object.keys(ranges).sort());
        for (const [t, r] of Object.entries(ranges)) {
          // Float rounding between onnxruntime builds and providers: measured at most 3e-7 of the range, wasm and
          // WebGPU alike (see also test/onnx/calibrate-web.test.ts).
          const tol = 1e-6 * Math.max(1, r.max - r.min);
          expect(Math.abs(report.ranges[t]!.min - r.min), `${name} ${t} min`).toBeLessThanOrEqual(tol);
          expect(Math.abs(report.ranges[t]!.max - r.max), `${name} ${t} max`).toBeLessThanOrEqual(tol);
        }
      }
      expect([...served].some((f) => f.endsWith('.wasm'))).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 240_000);
});
