import { randomBytes } from 'node:crypto';
// Sync calls through the default export, so tests can make one of them fail (named builtin imports cannot be spied on).
import fs, { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ShrinkmlError, isShrinkmlError } from '../core/errors.js';
import { tempFolders } from './cleanup.js';
import { lockOutput, type OutputLock } from './lock.js';
import { assertNotProtected } from './protect.js';

/**
 * All-or-nothing outputs. Every file of an output (model, shards, lineage, reports) is written into a staging
 * folder beside the target (`.<name>.tmp-<pid>-<rand>`, same file system), where it can be read back and measured;
 * `commit` then moves the set into place with synchronous renames, which no signal handler can interleave. Until
 * then the destination is untouched: an error, Ctrl-C or SIGTERM leaves the old output (or none), never half of
 * one, and the staging folder is removed. The destination is locked (./lock.ts) from `stage` to commit/discard.
 *
 * Layouts: 'folder' — the target is a folder, committed with one rename (a replaced folder is swapped out first);
 * 'files' — the target is one file (`y.onnx`, `x.json`) with companions beside it (`x.bin`, `y.lineage.json`),
 * renamed into place main file last and rolled back together if any rename fails.
 */
export interface OutputFile { name: string; content: Uint8Array | string }

export type OutputLayout = 'folder' | 'files';

export interface StageOptions {
  /** The output folder ('folder') or main file ('files'). */
  target: string;
  layout: OutputLayout;
  /** Replace an existing output (never a protected path). */
  force?: boolean;
  /** Paths never to write over, besides every model loaded in this process. */
  protect?: readonly string[];
}

export class StagedOutput {
  private readonly files = new Map<string, true>();
  private done = false;

  private constructor(
    readonly target: string,
    readonly layout: OutputLayout,
    /** The staging folder; staged files are read from here until the commit. */
    readonly dir: string,
    private readonly options: StageOptions,
    private readonly lock: OutputLock,
    private readonly untrack: () => void,
    /** The first parent folder this output created, removed again if nothing is committed. */
    private readonly createdParent: string | undefined,
  ) {}

  /** Lock the destination, check it may be written, and create the staging folder. */
  static async open(options: StageOptions): Promise<StagedOutput> {
    const target = path.resolve(options.target);
    assertNotProtected([target], options.protect);
    const parent = path.dirname(target);
    const createdParent = await fsp.mkdir(parent, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
      throw new ShrinkmlError('BAD_INPUT', `${target}: cannot create its folder (${e.code ?? e.message})`, { subject: target, cause: e });
    });
    const lock = lockOutput(target);
    try {
      checkDestination(target, options.layout === 'folder', options.force);
      const dir = path.join(parent, `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
      const untrack = tempFolders.track(dir);
      try {
        await fsp.mkdir(dir);
      } catch (e) {
        untrack();
        throw writeError(target, e);
      }
      return new StagedOutput(target, options.layout, dir, options, lock, untrack, createdParent);
    } catch (e) {
      lock.release();
      removeEmptyParents(parent, createdParent);
      throw e;
    }
  }

  /** Where `name` is while staged. */
  stagedPath(name: string): string {
    return path.join(this.dir, name);
  }

  /** Where `name` will be once committed. */
  finalPath(name: string): string {
    return this.layout === 'folder' ? path.join(this.target, name) : path.join(path.dirname(this.target), name);
  }

  /** Add (or replace) files of the output. Names are plain file names: nothing lands outside the output. */
  async write(files: readonly OutputFile[]): Promise<void> {
    this.assertOpen();
    for (const f of files) {
      if (!/^[\w][\w.-]*$/.test(f.name)) throw new ShrinkmlError('INTERNAL', `output file name '${f.name}' is not a plain file name`);
    }
    try {
      for (const f of files) {
        await fsp.writeFile(this.stagedPath(f.name), f.content);
        this.files.set(f.name, true);
      }
    } catch (e) {
      throw writeError(this.target, e);
    }
  }

  /**
   * Move the staged set into place (synchronously, so a signal cannot split it) and release the lock. With
   * 'files', the main file (the target's name) goes last. On failure nothing of the new output stays.
   */
  commit(): void {
    this.assertOpen();
    try {
      if (this.layout === 'folder') this.commitFolder();
      else this.commitFiles();
    } catch (e) {
      this.discard();
      throw isShrinkmlError(e) ? e : writeError(this.target, e);
    }
    this.done = true;
    this.untrack();
    this.lock.release();
  }

  /** Drop everything staged and release the lock (idempotent; after a commit a no-op). */
  discard(): void {
    if (this.done) return;
    this.done = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.untrack();
    this.lock.release();
    removeEmptyParents(path.dirname(this.target), this.createdParent);
  }

  private assertOpen(): void {
    if (this.done) throw new ShrinkmlError('INTERNAL', `${this.target}: the output was already committed or discarded`);
  }

  private commitFolder(): void {
    checkDestination(this.target, true, this.options.force);
    if (!exists(this.target)) return fs.renameSync(this.dir, this.target);
    const old = `${this.dir}-old`;
    const untrackOld = tempFolders.track(old);
    fs.renameSync(this.target, old);
    try {
      fs.renameSync(this.dir, this.target);
    } catch (e) {
      fs.renameSync(old, this.target);
      untrackOld();
      throw e;
    }
    // The new output is in place; a leftover `-old` folder is clutter, not a failure.
    fs.rmSync(old, { recursive: true, force: true });
    untrackOld();
  }

  private commitFiles(): void {
    const main = path.basename(this.target);
    if (!this.files.has(main)) throw new ShrinkmlError('INTERNAL', `${this.target}: committing an output without its model file`);
    const names = [...this.files.keys()].filter((n) => n !== main).concat(main);
    const finals = names.map((n) => this.finalPath(n));
    assertNotProtected(finals, this.options.protect);
    for (const f of finals) checkDestination(f, false, this.options.force);
    const replaced = path.join(this.dir, '.replaced');
    fs.mkdirSync(replaced);
    const moved: { name: string; final: string; hadOld: boolean }[] = [];
    try {
      for (const [i, name] of names.entries()) {
        const final = finals[i];
        const hadOld = exists(final);
        if (hadOld) fs.renameSync(final, path.join(replaced, name));
        moved.push({ name, final, hadOld });
        fs.renameSync(this.stagedPath(name), final);
      }
    } catch (e) {
      // Put back what was there: the destination ends as it began.
      for (const m of moved.reverse()) {
        fs.rmSync(m.final, { force: true });
        if (m.hadOld) fs.renameSync(path.join(replaced, m.name), m.final);
      }
      throw e;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface FolderWrite { dir: string; files: readonly OutputFile[]; force?: boolean; protect?: readonly string[] }

/** Write `files` as the folder `dir` in one commit; with force an existing folder is swapped out and deleted afterwards. */
export function writeFolderAtomically({ dir, files, force, protect }: FolderWrite): Promise<void> {
  return writeStaged({ target: dir, layout: 'folder', force, protect }, files);
}

export interface FilesWrite { parent: string; files: readonly OutputFile[]; force?: boolean; protect?: readonly string[] }

/**
 * Write loose files into `parent` as one set (a model saved as `name.json` + `name.bin`, an .onnx with its
 * lineage): the last file is the main one, renamed last, so a reader never finds a descriptor without its shards.
 */
export function writeFilesAtomically({ parent, files, force, protect }: FilesWrite): Promise<void> {
  return writeStaged({ target: path.join(parent, files[files.length - 1].name), layout: 'files', force, protect }, files);
}

async function writeStaged(options: StageOptions, files: readonly OutputFile[]): Promise<void> {
  const staged = await StagedOutput.open(options);
  try {
    await staged.write(files);
    staged.commit();
  } finally {
    staged.discard();
  }
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function checkDestination(target: string, folder: boolean, force: boolean | undefined): void {
  let stat;
  try {
    stat = fs.lstatSync(target);
  } catch {
    return;
  }
  if (folder && !stat.isDirectory()) {
    throw new ShrinkmlError('EXISTS', `${target}: exists and is not a folder`, { subject: target, suggestion: 'choose another output path' });
  }
  if (!folder && stat.isDirectory()) {
    throw new ShrinkmlError('EXISTS', `${target}: exists and is a folder`, { subject: target, suggestion: 'choose another output path' });
  }
  if (!force) throw new ShrinkmlError('EXISTS', `${target}: already exists`, { subject: target, suggestion: 'pass force (--force) to replace it' });
}

function writeError(target: string, e: unknown): ShrinkmlError {
  if (isShrinkmlError(e)) return e;
  const code = (e as NodeJS.ErrnoException).code;
  return new ShrinkmlError('BAD_INPUT', `${target}: could not write the output (${code ?? (e as Error).message})`, { subject: target, cause: e });
}

/** Undo `mkdir -p` of an output's parents: from `dir` up to `created`, each folder only if empty. */
function removeEmptyParents(dir: string, created: string | undefined): void {
  if (!created) return;
  for (let d = dir; d.length >= created.length; d = path.dirname(d)) {
    try {
      fs.rmdirSync(d);
    } catch {
      return;
    }
    if (d === created) return;
  }
}
