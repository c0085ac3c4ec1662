import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { ShrinkmlError } from '../core/errors.js';

/**
 * Guards against the worst thing a compression tool can do: overwrite the model it read. Every model loaded in
 * this process is remembered (its folder when a folder was given, its model.json and shards), and saving refuses
 * any target that is, or contains, one of those paths or a caller-given `protect` path, even with force.
 */
const loaded = new Set<string>();

/** Resolve symlinks as far as the path exists, so `out` and `./out/../out` and a symlink to it compare equal. */
export function realPath(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let at = abs;
  for (;;) {
    try {
      return path.join(realpathSync(at), ...rest.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return abs;
      rest.push(path.basename(at));
      at = parent;
    }
  }
}

export function rememberLoadedSource(paths: readonly string[]): void {
  for (const p of paths) loaded.add(realPath(p));
}

/** A model shrinkml itself wrote and read back to measure (and may write again with its metrics): no longer protected. */
export function forgetLoadedSource(paths: readonly string[]): void {
  for (const p of paths) loaded.delete(realPath(p));
}

/** Tests and long-running hosts that deliberately rewrite a model they loaded earlier. */
export function forgetLoadedSources(): void {
  loaded.clear();
}

const inside = (child: string, parent: string) => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : parent + path.sep);

/**
 * Throw EXISTS-style refusal when a target would overwrite a protected path: the same file or folder, or a folder
 * target (replaced as a whole) that contains one.
 */
export function assertNotProtected(targets: readonly string[], protect: readonly string[] = []): void {
  const guarded = [...protect.map(realPath), ...loaded];
  for (const target of targets.map(realPath)) {
    const hit = guarded.find((p) => inside(p, target));
    if (hit) {
      throw new ShrinkmlError('EXISTS', `${target}: refusing to write over the input model (${hit})`, {
        subject: target, suggestion: 'choose another output path; the input model is never overwritten, even with force',
      });
    }
  }
}
