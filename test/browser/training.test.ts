// The training-time API in a browser: bundled by esbuild with no Node built-in (an application's bundle), then run in
// headless Chromium: prune inside model.fit, fine-tune, calibrate and convert to int8 on 1,000 MNIST training images.
// Mandatory when CI is set; skipped loudly without Chromium.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadData } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/types.js';
import type { TrainingReport } from './training-page.js';

const CHROMIUM = process.env.SHRINKML_CHROMIUM ?? '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && !process.env.CI;
if (skip) console.warn(`\n!!! Browser training test SKIPPED: no Chromium at ${CHROMIUM} (set SHRINKML_CHROMIUM)\n`);

let dir = '';
let server: Server | undefined;
let origin = '';
let inputs: string[] = [];
let train: Dataset;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shrinkml-training-'));
  // No externals: a Node built-in anywhere in the training-time API fails the build.
  const result = await build({
    entryPoints: [new URL('./training-page.ts', import.meta.url).pathname], bundle: true, format: 'esm', platform: 'browser',
    target: 'es2022', outfile: join(dir, 'bundle.js'), logLevel: 'silent', metafile: true,
  });
  inputs = Object.keys(result.metafile.inputs);
  if (skip) return;
  train = await loadData({ source: 'mnist', split: 'train', limit: 1000 });
  const html = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="/bundle.js"></script>';
  server = createServer(async (req, res) => {
    if (req.url === '/bundle.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(await readFile(join(dir, 'bundle.js')));
    if (req.url === '/x.bin') return res.writeHead(200).end(new Uint8Array(train.x.buffer, train.x.byteOffset, train.x.byteLength));
    if (req.url === '/y.bin') return res.writeHead(200).end(new Uint8Array(train.labels!.buffer, train.labels!.byteOffset, train.labels!.byteLength));
    res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}, 180_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('training-time API in the browser', () => {
  it('bundles with no Node built-in', () => {
    expect(inputs.some((f) => f.includes('src/prune/callback.ts'))).toBe(true);
    expect(inputs.filter((f) => f.startsWith('node:') || /^(fs|path|os|crypto|zlib)$/.test(f))).toEqual([]);
  });

  it.skipIf(skip)('prunes in fit, fine-tunes and quantizes (PTQ) in headless Chromium', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
    try {
      const page = await browser.newPage();
      await page.goto(origin);
      await page.waitForFunction(() => 'runTraining' in globalThis, undefined, { timeout: 30_000 });
      const request = { samples: `${origin}/x.bin`, labels: `${origin}/y.bin`, count: train.count };
      const report = await page.evaluate((r) => (globalThis as unknown as { runTraining(r: unknown): Promise<TrainingReport> }).runTraining(r), request);
      expect(report.error).toBeUndefined();
      expect(report.backend).toBe('cpu');
      expect(report.sparsity).toBeGreaterThanOrEqual(0.74);
      expect(report.classes).toEqual(['QuantizedDense', 'QuantizedDense']);
      expect(report.floatAccuracy).toBeGreaterThan(0.8);
      expect(report.int8Accuracy).toBeGreaterThan(report.floatAccuracy - 0.02);
    } finally {
      await browser.close();
    }
  }, 300_000);
});
