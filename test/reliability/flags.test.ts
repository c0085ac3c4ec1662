import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { runCli } from '../cli/run.js';

/**
 * Advice must be followable: every `--flag` that an error message, a suggestion or a help text names is one that
 * a shrinkml command accepts. Sources are scanned (comments aside, where a flag may be discussed), and every
 * command's --help is checked against that command's own options.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
// Not `--h.count` or `--pending[c]` (decrements): a flag is not followed by a property access or an index.
const FLAG = /(?<![\w-])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*)(?![\w-]|\.\w|\[)/g;

const program = buildProgram({ stdout: () => {}, stderr: () => {}, setExitCode: () => {} });
const GLOBAL = ['--help', '--version'];
const accepted = new Map(program.commands.map((c) => [c.name(), new Set([...GLOBAL, ...c.options.map((o) => o.long!).filter(Boolean)])]));
const anyCommand = new Set([...accepted.values()].flatMap((s) => [...s]));

/**
 * Flags a library parser already names while the command that takes them is still being wired (another change in
 * flight). Each entry must still be unaccepted: once a command takes it, the test below asks to drop the entry.
 */
const PENDING: Record<string, string> = {};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.ts$/.test(e.name) ? [p] : [];
  });
}

/** Flags named in code (strings, templates), not in comments. */
function flagsInSource(file: string): { flag: string; line: number }[] {
  return readFileSync(file, 'utf8').split('\n').flatMap((text, i) => {
    const code = text.trimStart();
    if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return [];
    return [...code.replace(/\s\/\/ .*$/, '').matchAll(FLAG)].map((m) => ({ flag: `--${m[1]}`, line: i + 1 }));
  });
}

describe('every flag that shrinkml names exists', () => {
  it('the scan finds the flags it should (a scan that finds nothing proves nothing)', () => {
    const all = sourceFiles(path.join(ROOT, 'src')).flatMap(flagsInSource).map((f) => f.flag);
    expect(all).toEqual(expect.arrayContaining(['--allow-nonfinite', '--reference', '--resume', '--force', '--data']));
    expect(accepted.get('eval')).toContain('--no-latency');
  });

  it('in error messages, suggestions and help strings of src/: accepted by some command', () => {
    const unknown = sourceFiles(path.join(ROOT, 'src')).flatMap((file) => flagsInSource(file)
      .filter((f) => !anyCommand.has(f.flag) && !(f.flag in PENDING))
      .map((f) => `${path.relative(ROOT, file)}:${f.line} ${f.flag}`));
    expect(unknown).toEqual([]);
  });

  it('pending flags are still pending (drop the entry once a command accepts the flag)', () => {
    expect(Object.keys(PENDING).filter((f) => anyCommand.has(f))).toEqual([]);
  });

  it.each([...accepted.keys()])('in `%s --help`: accepted by that command', async (name) => {
    const r = await runCli(name, '--help');
    expect(r.code).toBe(0);
    // A line that shows another command (`shrinkml eval ...`) is about that command's flags.
    const lines = r.stdout.split('\n');
    const unknown = lines.flatMap((line) => {
      const other = /shrinkml (\w+)/.exec(line)?.[1];
      const own = other && accepted.has(other) ? accepted.get(other)! : accepted.get(name)!;
      return [...line.matchAll(FLAG)].map((m) => `--${m[1]}`).filter((f) => !own.has(f)).map((f) => `${f} in: ${line.trim()}`);
    });
    expect(unknown).toEqual([]);
  });
});
