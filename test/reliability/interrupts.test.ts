import * as tf from '@tensorflow/tfjs';
import { existsSync, promises as fsp, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFixtureModel } from '../fixtures/models.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { expectOutcome, fingerprint, leftovers, ROOT, spawnCli, type Outcome } from './harness.js';

/**
 * Interrupts and concurrent writers, on the real binary (the build `npm test` makes first): a run stopped at any
 * phase — SIGINT once (stops at the next step boundary), twice (quits at once), SIGTERM (quits at once) — exits
 * 130/143 and leaves no --out, no temp folder, no lock; a second writer to a locked output fails at once and the
 * first run's output is whole.
 */
let tmp: string;
let n = 0;
let INPUT: string;
let untouched: Record<string, Record<string, string>>;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await makeTmpDir('shrinkml-reliability-interrupts-');
  // A tiny model: each case is a fresh process, so loading must be quick.
  INPUT = path.join(tmp, 'input');
  await writeFixtureModel({ kind: 'sequential', dir: INPUT });
  untouched = { [INPUT]: fingerprint(INPUT) };
});
afterAll(() => removeTmpDir(tmp));

const compressArgs = (out: string) => ['compress', INPUT, '--out', out, '--backend', 'cpu', '--no-latency', '--quantize', 'weights:uint8'];

describe('a closed stdout', () => {
  it('a reader that has gone (| head) neither crashes the run nor stops it: the output is written, exit 0', async () => {
    const help = await spawnCli(['compress', '--help'], { closeStdout: true });
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    const out = path.join(tmp, `closed-stdout-${n++}`);
    const r = await spawnCli(compressArgs(out), { closeStdout: true });
    expect(r.stderr, r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.code).toBe(0);
    expect(existsSync(path.join(out, 'model.json'))).toBe(true);
    expect(fingerprint(INPUT)).toEqual(untouched[INPUT]);
  });
});

/** Run compress paused at `phase`, then send `signals` (the second once the first was acknowledged). */
function interrupted(out: string, phase: string, signals: NodeJS.Signals[]): Promise<Outcome> {
  let sent = 0;
  return spawnCli(compressArgs(out), {
    env: { SHRINKML_TEST_PAUSE_AT: phase },
    onStderr: (text, child) => {
      if (sent === 0 && text.includes(`phase: ${phase}`)) child.kill(signals[sent++]!);
      else if (sent === 1 && sent < signals.length && text.includes('interrupted: stopping')) child.kill(signals[sent++]!);
    },
  });
}

const PHASES = ['pipeline', 'write', 'measure', 'report', 'commit'];
const SIGNALS: [string, NodeJS.Signals[], number, RegExp][] = [
  ['SIGINT once', ['SIGINT'], 130, /^shrinkml: error: interrupted; nothing was written/],
  ['SIGINT twice', ['SIGINT', 'SIGINT'], 130, /^shrinkml: error: interrupted; nothing was written/],
  ['SIGTERM', ['SIGTERM'], 143, /^shrinkml: error: terminated; nothing was written/],
];

/** Up to `limit` runs at a time: the cases are independent processes, and mostly wait. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  }));
  return results;
}

describe('interrupts at each phase', () => {
  it('leave no output, no temp folder and no lock, with exit 130 (SIGINT) or 143 (SIGTERM)', async () => {
    // Every phase with one Ctrl-C (the graceful path, which each phase must honour); the immediate paths (a
    // second Ctrl-C, SIGTERM) do not depend on the phase: two phases each keep the corpus fast.
    const cases = PHASES.flatMap((phase) => SIGNALS
      .filter(([name]) => name === 'SIGINT once' || phase === 'pipeline' || phase === 'commit')
      .map(([name, signals, code, last]) => ({ phase, name, signals, code, last, out: path.join(tmp, `out${n++}`) })));
    const outcomes = await pool(cases.map((c) => () => interrupted(c.out, c.phase, c.signals)), 3);
    for (const [i, c] of cases.entries()) {
      const r = outcomes[i]!;
      const context = `${c.name} at ${c.phase}: ${r.stderr}`;
      expect(r.stderr, context).toContain(`phase: ${c.phase}`);
      expectOutcome(r, { code: c.code, absent: [c.out], clean: [tmp], untouched });
      const lines = r.stderr.trim().split('\n');
      expect(lines.at(-1), context).toMatch(c.last);
      // One Ctrl-C stops the run; it does not finish it.
      expect(r.stderr, context).not.toMatch(/^wrote /m);
      expect(r.stderr, context).not.toMatch(/\n\s+at |internal error/);
    }
  }, 240_000);
});

describe('two writers to the same output', () => {
  it('the second fails at once in one line; the output is the first run\'s, complete', async () => {
    const out = path.join(tmp, `shared${n++}`);
    let second: Promise<Outcome> | undefined;
    const first = spawnCli([...compressArgs(out), '--force'], {
      // The first run holds the lock while it measures; the second starts then, and once it is done the first
      // resumes (SIGUSR2).
      env: { SHRINKML_TEST_PAUSE_AT: 'measure' },
      onStderr: (text, child) => {
        if (!second && text.includes('phase: measure')) second = spawnCli([...compressArgs(out), '--force']).finally(() => child.kill('SIGUSR2'));
      },
    });
    const a = await first;
    const b = await second!;
    expectOutcome(b, { code: 2, error: new RegExp(`${out}: another shrinkml run \\(pid \\d+ on .*\\) is writing this output`) });
    expect(a.code, a.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['group1-shard1of1.bin', 'lineage.json', 'model.json', 'report.html', 'report.json', 'report.md']);
    const lineage = JSON.parse(readFileSync(path.join(out, 'lineage.json'), 'utf8'));
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.output.weightsHash).toBe(lineage.weightsHash);
    expect(report.createdAt).toBe(lineage.createdAt);
    expect(leftovers(tmp)).toEqual([]);
    expect(fingerprint(INPUT)).toEqual(untouched[INPUT]);
  }, 120_000);
});

describe('on the real binary, bad input is one line on stderr, whatever the native layers print', () => {
  it.each([
    ['a missing model', ['eval', path.join(ROOT, 'no-such-model'), '--no-latency'], /no-such-model/],
    ['a truncated ONNX file', ['compress', 'TRUNCATED', '--out', 'OUT.onnx', '--no-latency'], /t\.onnx: /],
  ])('%s', async (_, args, error) => {
    const truncated = path.join(tmp, `t.onnx`);
    await fsp.writeFile(truncated, readFileSync(path.join(ROOT, 'models/onnx/mnist-lenet-300-100.onnx')).subarray(0, 10_000));
    const out = path.join(tmp, `out${n++}`);
    const r = await spawnCli(args.map((a) => (a === 'TRUNCATED' ? truncated : a === 'OUT.onnx' ? `${out}.onnx` : a)));
    expectOutcome(r, { code: 2, error, absent: [`${out}.onnx`], clean: [tmp] });
    expect(existsSync(truncated)).toBe(true);
  });
});
