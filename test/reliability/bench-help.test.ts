import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Every bench script teaches on `--help` and does nothing else: exit 0, usage on stdout, nothing fetched, measured
 * or written (a user who asks how to run a 14-minute bench must not start it). The list derives from bench/, so a
 * new script is covered when it is added; only modules that other scripts import (no entry point) are left out.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const LIBRARIES = new Set(['args.ts', 'onnx-predict.ts', 'real-models-text.ts', 'stock-load.ts', 'write-results.ts']);
const SCRIPTS = readdirSync(path.join(ROOT, 'bench')).filter((f) => f.endsWith('.ts') && !LIBRARIES.has(f)).sort();
const run = promisify(execFile);
const cwd = mkdtempSync(path.join(tmpdir(), 'shrinkml-bench-help-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('bench scripts: --help', () => {
  it('covers every script in bench/', () => {
    expect(SCRIPTS.length).toBeGreaterThanOrEqual(15);
  });

  it.each(SCRIPTS)('%s prints its usage, exits 0 and writes nothing', async (file) => {
    const script = path.join(ROOT, 'dist/bench', file.replace(/\.ts$/, '.js'));
    expect(existsSync(script), `${script} (run npm run build first)`).toBe(true);
    const { stdout, stderr } = await run(process.execPath, [script, '--help'], { cwd, timeout: 60_000 });
    expect(stdout).toMatch(/^usage/i);
    expect(stdout).toContain('--');
    expect(stderr).toBe('');
    // Run from an empty folder: default outputs (bench/results/..., bench/.cache) would appear here.
    expect(readdirSync(cwd)).toEqual([]);
  }, 60_000);
});
