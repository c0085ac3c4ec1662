import * as tf from '@tensorflow/tfjs';
import { EventEmitter } from 'node:events';
import fsSync, { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import { createCleanupRegistry, type SignalTarget } from '../../src/formats/cleanup.js';
import { forgetLoadedSources, loadModel, saveLayersModel } from '../../src/formats/index.js';
import { buildFixtureModel, writeFixtureModel } from '../fixtures/models.js';
import { makeTmpDir, removeTmpDir, tempLeftovers } from '../fixtures/tmp.js';

let tmp: string;
let model: tf.LayersModel;
let n = 0;
const fresh = () => path.join(tmp, `out${n++}`);
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await makeTmpDir();
  model = buildFixtureModel('sequential');
});
afterAll(async () => {
  model.dispose();
  await removeTmpDir(tmp);
});
afterEach(() => vi.restoreAllMocks());

async function rejection(p: Promise<unknown>): Promise<ShrinkmlError> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(ShrinkmlError);
  return e as ShrinkmlError;
}

describe('saveLayersModel', () => {
  it('writes model.json and one shard, plus extra JSON files, and nothing else', async () => {
    const out = fresh();
    await saveLayersModel(model, out, { extraFiles: { 'lineage.json': { from: 'x', steps: [1, 2] } } });
    expect((await fs.readdir(out)).sort()).toEqual(['group1-shard1of1.bin', 'lineage.json', 'model.json']);
    expect(JSON.parse(await fs.readFile(path.join(out, 'lineage.json'), 'utf8'))).toEqual({ from: 'x', steps: [1, 2] });
    expect((await fs.stat(path.join(out, 'group1-shard1of1.bin'))).size).toBe(67 * 4);
    expect(await tempLeftovers(tmp)).toEqual([]);
  });

  it('splits shards by shardSizeBytes', async () => {
    const out = fresh();
    const saved = await saveLayersModel(model, out, { shardSizeBytes: 100 });
    const sizes = await Promise.all(saved.weightFiles.map(async (f) => (await fs.stat(f)).size));
    expect(saved.weightFiles.map((f) => path.basename(f))).toEqual(['group1-shard1of3.bin', 'group1-shard2of3.bin', 'group1-shard3of3.bin']);
    expect(sizes).toEqual([100, 100, 68]);
  });

  it('refuses an existing output without force', async () => {
    const out = fresh();
    await fs.mkdir(out);
    await fs.writeFile(path.join(out, 'keep.txt'), 'mine');
    const e = await rejection(saveLayersModel(model, out));
    expect(e.code).toBe('EXISTS');
    expect(e.message).toBe(`${out}: already exists`);
    expect(await fs.readdir(out)).toEqual(['keep.txt']);
  });

  it('replaces an existing output with force, leaving no old or temp folders', async () => {
    const out = fresh();
    await fs.mkdir(out);
    await fs.writeFile(path.join(out, 'stale.txt'), 'old');
    await saveLayersModel(model, out, { force: true });
    expect((await fs.readdir(out)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(await tempLeftovers(tmp)).toEqual([]);
  });

  it.each([
    ['a new folder', false],
    ['a forced replacement', true],
  ])('a failure while writing %s leaves no temp folder and the previous output intact', async (_, existing) => {
    const out = fresh();
    if (existing) await saveLayersModel(model, out);
    const before = existing ? await fs.readFile(path.join(out, 'model.json'), 'utf8') : null;
    // Fail the final rename into place: everything was written to the temp folder by then.
    const realRename = fsSync.renameSync;
    const renames: string[] = [];
    vi.spyOn(fsSync, 'renameSync').mockImplementation((from, to) => {
      renames.push(path.basename(String(from)));
      if (String(from).includes('.tmp-') && !String(from).endsWith('-old')) throw Object.assign(new Error('disk on fire'), { code: 'EIO' });
      return realRename(from, to);
    });
    const e = await rejection(saveLayersModel(model, out, { force: true }));
    expect(e.message).toMatch(/could not write the output \(EIO\)/);
    vi.restoreAllMocks();
    // With force the old output was moved aside first and had to be moved back.
    expect(renames.length).toBe(existing ? 3 : 1);
    expect(await tempLeftovers(tmp)).toEqual([]);
    if (existing) expect(await fs.readFile(path.join(out, 'model.json'), 'utf8')).toBe(before);
    else expect(existsSync(out)).toBe(false);
  });

  it('listens for SIGINT/SIGTERM only while writing', async () => {
    const base = { INT: process.listenerCount('SIGINT'), TERM: process.listenerCount('SIGTERM') };
    let during: typeof base | undefined;
    const real = fs.writeFile;
    vi.spyOn(fs, 'writeFile').mockImplementation((...args: Parameters<typeof real>) => {
      during ??= { INT: process.listenerCount('SIGINT'), TERM: process.listenerCount('SIGTERM') };
      return real(...args);
    });
    await saveLayersModel(model, fresh());
    expect(during).toEqual({ INT: base.INT + 1, TERM: base.TERM + 1 });
    expect({ INT: process.listenerCount('SIGINT'), TERM: process.listenerCount('SIGTERM') }).toEqual(base);
  });

  it('refuses to overwrite a loaded input model, even with force', async () => {
    const dir = fresh();
    await writeFixtureModel({ kind: 'sequential', dir });
    const loaded = await loadModel(dir);
    const same = path.join(dir, '.', '..', path.basename(dir));
    for (const out of [same, path.join(dir, 'model.json'), path.dirname(dir)]) {
      const e = await rejection(saveLayersModel(model, out, { force: true }));
      expect(e.code).toBe('EXISTS');
      expect(e.message).toMatch(/refusing to write over the input model/);
    }
    // Writing beside it under another name is fine.
    await saveLayersModel(model, path.join(dir, 'smaller.json'));
    loaded.model.dispose();
    forgetLoadedSources();
  });

  it('refuses a protect path given by the caller', async () => {
    const out = fresh();
    const e = await rejection(saveLayersModel(model, out, { protect: [path.join(out, 'model.json')], force: true }));
    expect(e.code).toBe('EXISTS');
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ['../escape.json', /extra file name '\.\.\/escape\.json' is not allowed/],
    ['model.json', /extra file name 'model\.json' is not allowed/],
  ])('rejects extra file %s', async (name, message) => {
    const out = fresh();
    const e = await rejection(saveLayersModel(model, out, { extraFiles: { [name]: {} } }));
    expect(e.message).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('a .json target refuses existing files without force and replaces them with force', async () => {
    const out = path.join(fresh(), 'net.json');
    await saveLayersModel(model, out);
    expect((await rejection(saveLayersModel(model, out))).code).toBe('EXISTS');
    await saveLayersModel(model, out, { force: true, weightEncodings: { 'hidden/kernel': 'float16' } });
    expect((await fs.stat(path.join(path.dirname(out), 'net.bin'))).size).toBe(32 * 2 + 35 * 4);
    expect(await tempLeftovers(path.dirname(out))).toEqual([]);
  });
});

describe('cleanup registry', () => {
  const fakeProcess = () => {
    const emitter = new EventEmitter();
    const kill = vi.fn();
    const proc: SignalTarget = {
      pid: 42, kill,
      on: (e, l) => emitter.on(e, l), off: (e, l) => emitter.off(e, l), listenerCount: (e) => emitter.listenerCount(e),
    };
    return { emitter, kill, proc };
  };

  it('removes tracked folders on SIGTERM and re-raises the signal when nobody else handles it', async () => {
    const { emitter, kill, proc } = fakeProcess();
    const registry = createCleanupRegistry(proc);
    const dir = path.join(tmp, '.x.tmp-1-ab');
    await fs.mkdir(path.join(dir, 'inner'), { recursive: true });
    registry.track(dir);
    expect(emitter.listenerCount('SIGTERM')).toBe(1);
    emitter.emit('SIGTERM', 'SIGTERM');
    expect(existsSync(dir)).toBe(false);
    expect(kill).toHaveBeenCalledWith(42, 'SIGTERM');
    expect(emitter.listenerCount('SIGTERM')).toBe(0);
  });

  it('does not re-raise when the application handles the signal itself', async () => {
    const { emitter, kill, proc } = fakeProcess();
    emitter.on('SIGINT', () => {});
    const registry = createCleanupRegistry(proc);
    registry.track(path.join(tmp, '.y.tmp-1-cd'));
    emitter.emit('SIGINT', 'SIGINT');
    expect(kill).not.toHaveBeenCalled();
    // The application may stop gracefully and still need the folder; it goes at exit.
    expect(registry.tracked()).toHaveLength(1);
    emitter.emit('exit');
    expect(registry.tracked()).toEqual([]);
  });

  it('stops listening once every tracked folder is released', () => {
    const { emitter, proc } = fakeProcess();
    const registry = createCleanupRegistry(proc);
    const release = [registry.track('/a'), registry.track('/b')];
    expect(emitter.listenerCount('SIGINT')).toBe(1);
    release[0]();
    expect(emitter.listenerCount('SIGINT')).toBe(1);
    release[1]();
    expect(emitter.listenerCount('SIGINT')).toBe(0);
    expect(emitter.listenerCount('exit')).toBe(0);
  });
});
