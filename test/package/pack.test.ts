import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm pack` → install into a fresh project → the CLI and the API work there. This is what a user gets from the
 * registry, so it catches files missing from `files`, dev-only imports and broken `exports`.
 * It needs the build (`npm test` builds first) and the npm cache of this machine's install (no network beyond it).
 */
const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'shrinkml-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });

describe('npm pack', () => {
  it('installs into a fresh project where the CLI and the API work', () => {
    const tarballName = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], root).trim().split('\n').pop()!;
    const tarball = join(work, tarballName);
    const project = join(work, 'user-project');
    run('mkdir', ['-p', project], work);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', version: '1.0.0', type: 'module' }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], project);

    const version = run(join(project, 'node_modules/.bin/shrinkml'), ['--version'], project).trim();
    expect(version).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);

    const inspect = JSON.parse(run(join(project, 'node_modules/.bin/shrinkml'),
      ['inspect', join(root, 'models/mnist-lenet-300-100'), '--json'], project));
    expect(inspect.params).toBe(266_610);

    writeFileSync(join(project, 'use-api.mjs'), `
      import { loadModel, selectBackend } from 'shrinkml';
      const choice = await selectBackend({ backend: 'cpu' });
      const loaded = await loadModel(${JSON.stringify(join(root, 'models/mnist-lenet-300-100'))});
      console.log(JSON.stringify({ backend: choice.backend, inputs: loaded.model.inputs[0].shape }));
    `);
    const api = JSON.parse(run('node', ['use-api.mjs'], project));
    expect(api).toEqual({ backend: 'cpu', inputs: [null, 784] });
  }, 600_000);
});
