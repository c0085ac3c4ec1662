import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';
import { runCli } from '../cli/run.js';

/**
 * The reliability corpus' one assertion, for every case: the exit code; for an error exactly one stderr line
 * (`shrinkml: error: ...`, no stack, no native noise); no output and no temp folder or lock beside it; the
 * input's bytes unchanged.
 */
export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/shrinkml.js');

/** sha256 of every file under `p` (a file or a folder), by relative name: the "input untouched" fingerprint. */
export function fingerprint(p: string): Record<string, string> {
  if (!existsSync(p)) return {};
  if (!statSync(p).isDirectory()) return { '.': createHash('sha256').update(readFileSync(p)).digest('hex') };
  return Object.fromEntries(readdirSync(p, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return [path.relative(p, file), createHash('sha256').update(readFileSync(file)).digest('hex')];
    }));
}

/** Temp folders, temp files and locks a write may leave directly in `dir`. */
export function leftovers(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir).filter((n) => n.includes('.tmp-') || n.endsWith('.lock'));
}

export interface Outcome { code: number; stdout: string; stderr: string }

/** The real binary (so native output on fd 2 would show), in `env` on top of this process' environment. */
export function spawnCli(args: string[], o: { env?: Record<string, string>; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void; closeStdout?: boolean } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // A reader that has gone before the first write (`shrinkml … | head` after head exited): writes get EPIPE.
    if (o.closeStdout) child.stdout.destroy();
    else child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => {
      stderr += d;
      o.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 + (signal === 'SIGTERM' ? 15 : 2) : -1), stdout, stderr }));
  });
}

export interface Expectation {
  code: number;
  /** The one error line (for code ≥ 2). */
  error?: RegExp;
  /** Paths that must not exist afterwards (the output). */
  absent?: string[];
  /** Folders that must hold no temp or lock afterwards. */
  clean?: string[];
  /** Inputs whose bytes must be unchanged: fingerprints taken before the run. */
  untouched?: Record<string, Record<string, string>>;
}

export function expectOutcome(r: Outcome, e: Expectation): void {
  const context = `stderr was:\n${r.stderr}`;
  expect(r.code, context).toBe(e.code);
  if (e.error) {
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, context).toHaveLength(1);
    expect(lines[0]).toMatch(/^shrinkml: error: /);
    expect(lines[0]).toMatch(e.error);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  }
  for (const p of e.absent ?? []) expect(existsSync(p), `${p} exists; ${context}`).toBe(false);
  for (const d of e.clean ?? []) expect(leftovers(d), context).toEqual([]);
  for (const [p, before] of Object.entries(e.untouched ?? {})) expect(fingerprint(p)).toEqual(before);
}

/** Runs the CLI in-process (fast: the bad-input cases) and checks the outcome. */
export async function expectCli(args: string[], e: Expectation): Promise<Outcome> {
  const r = await runCli(...args);
  expectOutcome(r, e);
  return r;
}
