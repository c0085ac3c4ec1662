// The library in a browser: page.ts bundled with esbuild, served from 127.0.0.1 (WebGPU needs a secure context),
// run in headless Chromium on SwiftShader's WebGPU. Mandatory when CI is set; skipped loudly without Chromium.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPageBundle } from './build.js';
import type { PageReport } from './page.js';

const CHROMIUM = process.env.SHRINKML_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) {
  console.warn(`\n!!! Browser kernel tests SKIPPED: no Chromium at ${CHROMIUM} (set SHRINKML_CHROMIUM)\n!!! (they are mandatory when CI is set)\n`);
}
const skip = !haveChromium && !process.env.CI;

/** Software WebGPU in headless Chromium: Vulkan through SwiftShader, no GPU blocklist, no window surface. */
export const CHROMIUM_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--disable-vulkan-surface', '--ignore-gpu-blocklist', '--no-sandbox',
  '--headless=new'];

let dir = '';
let server: Server | undefined;
let url = '';
let bundleBytes = 0;

beforeAll(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'shrinkml-browser-'));
  bundleBytes = await buildPageBundle(join(dir, 'bundle.js'));
  const html = '<!doctype html><meta charset="utf-8"><title>shrinkml kernels</title><script type="module" src="/bundle.js"></script>';
  server = createServer(async (req, res) => {
    if (req.url === '/bundle.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(await readFile(join(dir, 'bundle.js')));
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    }
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(skip)('browser (headless Chromium, WebGPU on SwiftShader)', () => {
  it('bundles shrinkml for the browser and runs every WebGPU kernel case like the references', async () => {
    expect(bundleBytes).toBeGreaterThan(100_000);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.goto(url);
      await page.waitForFunction(() => 'runKernelCases' in globalThis, undefined, { timeout: 30_000 });
      const report = await page.evaluate(() => (globalThis as unknown as { runKernelCases(): Promise<PageReport> }).runKernelCases());
      if (report.unavailable && !process.env.CI) {
        console.warn(`\n!!! Browser WebGPU unavailable, kernel cases SKIPPED: ${report.unavailable}\n`);
        return;
      }
      expect(report.unavailable).toBeNull();
      expect(report.results.filter((r) => !r.ok)).toEqual([]);
      expect(report.results.length).toBeGreaterThan(40);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 240_000);
});
