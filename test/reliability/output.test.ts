import { spawnSync } from 'node:child_process';
import fsSync, { existsSync, promises as fs, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { StagedOutput } from '../../src/formats/atomic.js';
import { lockOutput, lockPath } from '../../src/formats/lock.js';
import { ModelOutput } from '../../src/pipeline/output.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { sampleReport } from '../report/fixture.js';

/** The one writer (src/pipeline/output.ts over src/formats/atomic.ts) and the destination lock (src/formats/lock.ts). */
let tmp: string;
let n = 0;
const fresh = (suffix = '') => path.join(tmp, `out${n++}${suffix}`);
beforeAll(async () => { tmp = await makeTmpDir('shrinkml-output-'); });
afterAll(() => removeTmpDir(tmp));
afterEach(() => vi.restoreAllMocks());

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<ShrinkmlError> {
  const e = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(ShrinkmlError);
  return e as ShrinkmlError;
}

const records = { lineage: { source: './in/model.json' }, report: sampleReport() };

describe('ModelOutput: model, lineage and reports appear together or not at all', () => {
  it.each([
    ['a folder', '', ['lineage.json', 'model.onnx', 'report.html', 'report.json', 'report.md']],
    ['a single .onnx file', '.onnx', ['NAME.lineage.json', 'NAME.onnx', 'NAME.report.html', 'NAME.report.json', 'NAME.report.md']],
  ])('%s: nothing at --out until commit, then the whole set, no temp or lock left', async (_, suffix, expected) => {
    const out = fresh(suffix);
    const output = await ModelOutput.open({ out });
    try {
      await output.writeFiles([{ name: output.modelFileName('onnx'), content: new Uint8Array([1, 2, 3]) }]);
      const written = await output.writeRecords(records);
      // Staged: readable where it is, invisible where it goes.
      expect(readFileSync(output.stagedPath(output.modelFileName('onnx')))).toEqual(Buffer.from([1, 2, 3]));
      expect(existsSync(out)).toBe(false);
      expect(written.lineage).toBe(output.finalPath(output.lineageName));
      output.commit();
    } finally {
      output.discard();
    }
    const stem = path.basename(out).replace(/\.onnx$/, '');
    const names = suffix ? readdirSync(tmp).filter((f) => f.startsWith(`${stem}.`)) : readdirSync(out);
    expect(names.sort()).toEqual(expected.map((e) => e.replace('NAME', stem)).sort());
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-') || f.endsWith('.lock'))).toEqual([]);
  });

  it('a run stopped by its signal is never committed, however far it got', async () => {
    const out = fresh();
    const output = await ModelOutput.open({ out });
    const controller = new AbortController();
    try {
      await output.writeRecords(records);
      controller.abort();
      expect((await rejection(() => output.commit(controller.signal))).code).toBe('INTERRUPTED');
    } finally {
      output.discard();
    }
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-') || f.endsWith('.lock'))).toEqual([]);
  });

  it('an existing output is refused before any work, and kept', async () => {
    const out = fresh();
    await fs.mkdir(out);
    await fs.writeFile(path.join(out, 'keep.txt'), 'old');
    const e = await rejection(ModelOutput.open({ out }));
    expect(e.message).toBe(`${out}: already exists`);
    expect(readdirSync(out)).toEqual(['keep.txt']);
    expect(existsSync(lockPath(out))).toBe(false);
  });

  it('a failed rename of a single-file set puts back every file it replaced', async () => {
    const out = fresh('.onnx');
    const lineage = out.replace(/\.onnx$/, '.lineage.json');
    writeFileSync(out, 'old model');
    writeFileSync(lineage, 'old lineage');
    const output = await ModelOutput.open({ out, force: true });
    await output.writeFiles([{ name: path.basename(out), content: 'new model' }]);
    await output.writeRecords(records);
    const real = fsSync.renameSync;
    // The main file goes last: fail exactly there, after the companions were swapped in.
    vi.spyOn(fsSync, 'renameSync').mockImplementation((from, to) => {
      if (String(to) === out && !String(from).includes('.replaced')) throw Object.assign(new Error('disk on fire'), { code: 'EIO' });
      return real(from, to);
    });
    const e = await rejection(() => output.commit());
    expect(e.message).toBe(`${out}: could not write the output (EIO)`);
    vi.restoreAllMocks();
    output.discard();
    expect(readFileSync(out, 'utf8')).toBe('old model');
    expect(readFileSync(lineage, 'utf8')).toBe('old lineage');
    expect(existsSync(out.replace(/\.onnx$/, '.report.json'))).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-') || f.endsWith('.lock'))).toEqual([]);
  });

  it('parent folders it created are removed again when nothing is committed', async () => {
    const base = fresh();
    const output = await StagedOutput.open({ target: path.join(base, 'a', 'b', 'model'), layout: 'folder' });
    expect(existsSync(path.join(base, 'a', 'b'))).toBe(true);
    output.discard();
    expect(existsSync(base)).toBe(false);
  });
});

describe('the destination lock', () => {
  it('a second writer fails at once with one line naming the holder; the first is unaffected', async () => {
    const out = fresh();
    const first = await ModelOutput.open({ out, force: true });
    // Another process (the in-process lock is re-entrant), on the build `npm test` makes first.
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { lockOutput } from ${JSON.stringify(path.resolve('dist/src/formats/lock.js'))};
      try { lockOutput(${JSON.stringify(out)}); console.log('locked'); } catch (e) { console.log(e.code + ' ' + e.message); }
    `], { encoding: 'utf8' });
    const line = child.stdout.trim();
    expect(line).toBe(`EXISTS ${out}: another shrinkml run (pid ${process.pid} on ${os.hostname()}, since ${JSON.parse(readFileSync(lockPath(out), 'utf8')).startedAt}) is writing this output`);
    await first.writeRecords(records);
    await first.writeFiles([{ name: 'model.json', content: '{}' }]);
    first.commit();
    expect(readdirSync(out).sort()).toEqual(['lineage.json', 'model.json', 'report.html', 'report.json', 'report.md']);
    expect(existsSync(lockPath(out))).toBe(false);
  });

  it.each([
    ['a dead pid on this host', () => ({ pid: deadPid(), host: os.hostname(), startedAt: 'then' }), 0],
    ['another host, not refreshed for an hour', () => ({ pid: 1, host: 'elsewhere.invalid', startedAt: 'then' }), 3600],
    ['a live pid on this host, not refreshed for an hour (a reused pid)', () => ({ pid: process.ppid, host: os.hostname(), startedAt: 'then' }), 3600],
    ['unreadable, older than a few seconds', () => 'garbage', 60],
  ])('a stale lock (%s) is taken over', async (_, content, ageSeconds) => {
    const out = fresh();
    const file = lockPath(out);
    const c = content();
    writeFileSync(file, typeof c === 'string' ? c : JSON.stringify(c));
    const then = new Date(Date.now() - ageSeconds * 1000);
    fsSync.utimesSync(file, then, then);
    const lock = lockOutput(out);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('a live lock on another host is respected', async () => {
    const out = fresh();
    writeFileSync(lockPath(out), JSON.stringify({ pid: 1, host: 'elsewhere.invalid', startedAt: 'now' }));
    expect((await rejection(() => lockOutput(out))).message).toMatch(/another shrinkml run \(pid 1 on elsewhere.invalid, since now\)/);
  });
});

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}
