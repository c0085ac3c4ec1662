import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/command.js';
import { stderrProgress } from '../../src/cli/shared/progress.js';

const capture = () => {
  const lines: string[] = [];
  const io: CliIo = { stdout: () => { throw new Error('progress wrote to stdout'); }, stderr: (t) => { lines.push(t); }, setExitCode: () => {} };
  return { io, lines };
};

describe('stderrProgress', () => {
  it('without a terminal: a line per 10% with the trial, the step and an ETA, nothing on stdout', async () => {
    const { io, lines } = capture();
    const progress = stderrProgress(io, false);
    progress({ phase: 'trial', done: 2, total: 8, message: 'relax fc1' });
    for (let done = 0; done <= 100; done += 5) {
      progress({ phase: 'train', done, total: 100, message: 'loss 0.1' });
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(lines[0]).toBe('trial 2/8 (relax fc1)\n');
    const train = lines.slice(1);
    expect(train).toHaveLength(11);
    expect(train[5]).toMatch(/^trial 2\/8 \(relax fc1\) · train 50\/100 \(50%\) ETA \d+s loss 0\.1\n$/);
    expect(train[10]).toBe('trial 2/8 (relax fc1) · train 100/100 (100%) loss 0.1\n');
  });

  it('starts over when a step runs again (the next trial evaluates from 0)', () => {
    const { io, lines } = capture();
    const progress = stderrProgress(io, false);
    progress({ phase: 'evaluate', done: 100, total: 100 });
    progress({ phase: 'evaluate', done: 10, total: 100 });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('evaluate 100/100 (100%)\n');
    expect(lines[1]).toMatch(/^evaluate 10\/100 \(10%\)( ETA \d+s)?\n$/);
  });

  it('on a terminal: a cli-progress bar with the label, percentage and ETA', () => {
    const { io, lines } = capture();
    let screen = '';
    const tty = Object.assign(new Writable({ write: (c: Buffer, _e: string, cb: () => void) => { screen += c.toString(); cb(); } }), {
      isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true,
    });
    const progress = stderrProgress(io, true, tty);
    progress({ phase: 'calibrate', done: 0, total: 64 });
    progress({ phase: 'calibrate', done: 32, total: 64 });
    progress({ phase: 'calibrate', done: 64, total: 64 });
    expect(lines).toEqual([]);
    expect(screen).toMatch(/calibrate \[[█░]+\] 100% \| ETA 0s \| 64\/64/);
  });
});
