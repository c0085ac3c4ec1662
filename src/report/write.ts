import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { tempFolders } from '../formats/cleanup.js';

/**
 * Where the reports of a model go: `report.{json,md,html}` inside a model folder, `<name>.report.*` beside a
 * single-file output (`out/model.json` → `out/model.report.html`).
 */
export function reportPaths(modelJsonPath: string, folder: boolean): { json: string; md: string; html: string } {
  const dir = path.dirname(modelJsonPath);
  const stem = folder ? 'report' : `${path.basename(modelJsonPath).replace(/\.(json|onnx)$/i, '')}.report`;
  return { json: path.join(dir, `${stem}.json`), md: path.join(dir, `${stem}.md`), html: path.join(dir, `${stem}.html`) };
}

/** Write one file atomically (temp name in the same folder, then rename); the temp file never outlives Ctrl-C. */
export async function writeFileAtomically(file: string, content: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const untrack = tempFolders.track(tmp);
  try {
    await fsp.writeFile(tmp, content);
    await fsp.rename(tmp, file);
  } finally {
    await fsp.rm(tmp, { force: true }).catch(() => {});
    untrack();
  }
}
