import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compressPoints, paretoFront, paretoSvg, renderHtml, renderMarkdown } from '../../src/report/index.js';
import { sampleReport } from './fixture.js';

describe('paretoFront', () => {
  it.each([
    ['keeps points no other beats on both axes', [[10, 0.9], [20, 0.95], [15, 0.85], [30, 0.95], [40, 0.99]], [[10, 0.9], [20, 0.95], [40, 0.99]]],
    ['a single point is its own front', [[5, 0.5]], [[5, 0.5]]],
    ['equal size keeps the more accurate', [[10, 0.8], [10, 0.9]], [[10, 0.9]]],
  ])('%s', (_name, points, front) => {
    expect(paretoFront(points as [number, number][], (p) => p[0], (p) => p[1])).toEqual(front);
  });
});

describe('report rendering', () => {
  it('plots the input and every trial from the validation split, with the output marked', () => {
    const { points, split } = compressPoints(sampleReport());
    expect(split).toBe('validation');
    expect(points.map((p) => [p.kind, p.accuracy])).toEqual([['input', 0.983], ['trial', 0.975], ['trial', 0.979], ['output', 0.981]]);
    const svg = paretoSvg(points, { x: 'gzipBytes', title: 'Size vs accuracy' });
    expect(svg.match(/<g class="point /g)).toHaveLength(4);
    // All four are on the front here: each larger one is more accurate.
    expect(svg.match(/class="front"[^>]*points="([^"]+)"/)![1]!.split(' ')).toHaveLength(4);
  });

  it('markdown carries the verdict, the size ratio, the layer table and every trial', () => {
    const md = renderMarkdown(sampleReport());
    expect(md).toContain('## Budget: PASS');
    expect(md).toContain('| gzip size | 986.3 KB | 24.1 KB | 40.92× smaller |');
    expect(md).toContain('| fc3 | Dense | 1,010 | 1,010 | 0.0% | 32 | 2 |');
    expect(md.match(/^\| \d( ◀)? \|/gm)).toHaveLength(3);
  });

  it('html is self-contained and escapes what it shows', () => {
    const html = renderHtml(sampleReport());
    expect(html).not.toMatch(/<script|src=|href=/);
    expect(html).toContain('fc1&lt;script&gt;');
    expect(html).toContain('relax fc1 &lt;b&gt;');
    expect(html).toContain('id="pareto-size"');
    expect(html).toContain('id="pareto-latency"');
  });
});

const CHROMIUM = process.env.SHRINKML_CHROMIUM ?? '/usr/bin/chromium';

describe.skipIf(!existsSync(CHROMIUM) && !process.env.CI)('report.html in headless Chromium', () => {
  it('renders the verdict, both plots with every point, and the tables without errors', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1024, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      await page.setContent(renderHtml(sampleReport()));
      expect(await page.textContent('#verdict')).toMatch(/PASS — met on the test split/);
      const plot = await page.$('#pareto-size svg');
      const box = await plot!.boundingBox();
      expect(box!.width).toBeGreaterThan(600);
      expect(box!.height).toBeGreaterThan(300);
      expect(await page.$$eval('#pareto-size g.point circle', (cs) => cs.length)).toBe(4);
      // Every point lies inside the plot area.
      const inside = await page.$$eval('#pareto-size g.point circle', (cs) => cs.every((c) => {
        const r = c.getBoundingClientRect();
        const svg = c.ownerSVGElement!.getBoundingClientRect();
        return r.left >= svg.left && r.right <= svg.right && r.top >= svg.top && r.bottom <= svg.bottom;
      }));
      expect(inside).toBe(true);
      expect(await page.$$eval('#pareto-latency g.point', (g) => g.length)).toBe(4);
      expect(await page.$$eval('table', (t) => t.length)).toBeGreaterThanOrEqual(4);
      if (process.env.SHRINKML_REPORT_SCREENSHOT) await page.screenshot({ path: process.env.SHRINKML_REPORT_SCREENSHOT, fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
