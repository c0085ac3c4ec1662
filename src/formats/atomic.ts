import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { ShrinkmlError, isShrinkmlError } from '../core/errors.js';
import { tempFolders } from './cleanup.js';

/**
 * All-or-nothing writes. Files are written into a temp folder beside the target (`.<name>.tmp-<pid>-<rand>`,
 * same file system, so rename is atomic) and renamed into place only when every file is complete. A crash or
 * Ctrl-C leaves either the old output or the new one, never half a model.
 */
export interface OutputFile { name: string; content: Uint8Array | string }

export interface FolderWrite { dir: string; files: readonly OutputFile[]; force?: boolean }

/** Write `files` as the folder `dir`; with force an existing folder is swapped out and deleted afterwards. */
export async function writeFolderAtomically({ dir, files, force }: FolderWrite): Promise<void> {
  const existing = await fsp.lstat(dir).catch(() => null);
  if (existing && !existing.isDirectory()) {
    throw new ShrinkmlError('EXISTS', `${dir}: exists and is not a folder`, { subject: dir, suggestion: 'choose another output path' });
  }
  if (existing && !force) throw exists(dir);
  await withTempFolder(dir, async (tmp) => {
    await writeAll(tmp, files);
    if (!existing) return fsp.rename(tmp, dir);
    const old = `${tmp}-old`;
    await fsp.rename(dir, old);
    try {
      await fsp.rename(tmp, dir);
    } catch (e) {
      await fsp.rename(old, dir);
      throw e;
    }
    // The new model is in place; a leftover `-old` folder is clutter, not a failure.
    await fsp.rm(old, { recursive: true, force: true }).catch(() => {});
  });
}

export interface FilesWrite { parent: string; files: readonly OutputFile[]; force?: boolean }

/**
 * Write loose files into `parent` (a model saved as `name.json` + `name.bin`). Each file is replaced atomically;
 * the last file (model.json) is renamed last so a reader never finds a descriptor without its shards.
 */
export async function writeFilesAtomically({ parent, files, force }: FilesWrite): Promise<void> {
  for (const f of files) {
    const target = path.join(parent, f.name);
    const stat = await fsp.lstat(target).catch(() => null);
    if (stat && (!force || stat.isDirectory())) throw exists(target);
  }
  const main = files[files.length - 1];
  await withTempFolder(path.join(parent, main.name), async (tmp) => {
    await writeAll(tmp, files);
    for (const f of files) await fsp.rename(path.join(tmp, f.name), path.join(parent, f.name));
    await fsp.rm(tmp, { recursive: true, force: true });
  });
}

async function withTempFolder(target: string, body: (tmp: string) => Promise<void>): Promise<void> {
  const parent = path.dirname(target);
  const tmp = path.join(parent, `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const untrack = tempFolders.track(tmp);
  try {
    await fsp.mkdir(parent, { recursive: true });
    await fsp.mkdir(tmp);
    await body(tmp);
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
    if (isShrinkmlError(e)) throw e;
    throw new ShrinkmlError('BAD_INPUT', `${target}: could not write the model (${(e as Error).message})`, { subject: target, cause: e });
  } finally {
    untrack();
  }
}

async function writeAll(dir: string, files: readonly OutputFile[]): Promise<void> {
  for (const f of files) await fsp.writeFile(path.join(dir, f.name), f.content);
}

function exists(target: string): ShrinkmlError {
  return new ShrinkmlError('EXISTS', `${target}: already exists`, { subject: target, suggestion: 'pass force (--force) to replace it' });
}
