import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { BIN, ROOT } from '../reliability/harness.js';

/**
 * As a project without the optional peer sees it: the real CLI with a module hook that makes `bullmq` resolve the
 * way Node fails a package that is not installed.
 */
let dir: string;
beforeAll(async () => {
  dir = await makeTmpDir('shrinkml-no-bullmq-');
  writeFileSync(path.join(dir, 'hooks.mjs'), `export async function resolve(specifier, context, next) {
  if (specifier === 'bullmq') throw Object.assign(new Error(\`Cannot find package 'bullmq' imported from \${context.parentURL}\`), { code: 'ERR_MODULE_NOT_FOUND' });
  return next(specifier, context);
}\n`);
  writeFileSync(path.join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});\n`);
});
afterAll(() => removeTmpDir(dir));

describe('without bullmq installed', () => {
  it('worker --queue is one line naming the package to install', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', pathToFileURL(path.join(dir, 'register.mjs')).href, BIN, 'worker', '--queue', 'redis://127.0.0.1:6379'],
        { cwd: ROOT }, (e, _stdout, stderr) => resolve({ code: e ? (e as { code?: number }).code ?? 1 : 0, stderr }));
    });
    expect(r.stderr).toBe('shrinkml: error: running budget-search trials on a queue (--queue, shrinkml worker) needs the optional package bullmq, ' +
      'which is not installed (npm install bullmq@5.81.5)\n');
    expect(r.code).toBe(2);
  });
});
