import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';

/**
 * Issue 13.2: Dawn writes to fd 2 from C++ (libwayland's XDG_RUNTIME_DIR complaint, the Vulkan loader's and
 * Dawn's warnings with a native stack frame), where no JS can catch it. Every case that reaches backend probing is
 * run here in each environment a user may have: a Vulkan driver (SwiftShader) with and without XDG_RUNTIME_DIR, no
 * Vulkan driver (VK_ICD_FILENAMES naming a missing file: "Found no drivers"), and no usable Vulkan loader (an empty
 * libvulkan.so.1 first on LD_LIBRARY_PATH: dlopen fails as when the loader is absent, "Couldn't load Vulkan").
 *
 * One process per environment runs every case through the CLI's main() and the library's selectBackend(), with
 * the CLI's own output captured per case: whatever reaches the process' real fd 2 is native noise, and there must
 * be none. Errors must be exactly one line.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const hasSwiftShader = existsSync(SWIFTSHADER);
const MODEL = 'models/mnist-lenet-300-100';
const ONNX = 'models/onnx/mnist-lenet5.onnx';

interface CaseResult { name: string; code: number; stderr: string; stdout: string }

/** Runs in the child: each case through main() (output captured), then the library's probe; JSON on the last line. */
const RUNNER = `
const { main } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/cli/main.js'))});
const { selectBackend } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/index.js'))});
const results = [];
for (const c of JSON.parse(process.argv[1])) {
  let stdout = '', stderr = '';
  const code = await main(['node', 'shrinkml', ...c.args], { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
  results.push({ name: c.name, code, stdout, stderr });
}
const choice = await selectBackend({ backend: 'auto', dryRun: true });
results.push({ name: 'api', code: 0, stdout: choice.backend, stderr: '' });
process.stdout.write('\\n' + JSON.stringify(results) + '\\n');
process.exit(0);
`;

let tmp: string;
const environments: { name: string; driver: boolean; missingPackage?: boolean; env: Record<string, string | undefined> }[] = [];

beforeAll(async () => {
  tmp = await makeTmpDir('shrinkml-env-');
  const xdg = path.join(tmp, 'xdg');
  mkdirSync(xdg, { mode: 0o700 });
  const noLoader = path.join(tmp, 'no-loader');
  mkdirSync(noLoader);
  writeFileSync(path.join(noLoader, 'libvulkan.so.1'), '');
  if (hasSwiftShader || process.env.CI) {
    environments.push({ name: 'Vulkan driver, XDG_RUNTIME_DIR set', driver: true, env: { VK_ICD_FILENAMES: SWIFTSHADER, XDG_RUNTIME_DIR: xdg } });
    environments.push({ name: 'Vulkan driver, no XDG_RUNTIME_DIR', driver: true, env: { VK_ICD_FILENAMES: SWIFTSHADER, XDG_RUNTIME_DIR: undefined } });
  }
  environments.push({ name: 'no Vulkan driver, no XDG_RUNTIME_DIR', driver: false, env: { VK_ICD_FILENAMES: '/nonexistent/vulkan/icd.json', XDG_RUNTIME_DIR: undefined } });
  environments.push({ name: 'no Vulkan loader, no XDG_RUNTIME_DIR', driver: false, env: { LD_LIBRARY_PATH: noLoader, XDG_RUNTIME_DIR: undefined } });
  // The optional `webgpu` package not installed: its resolution fails as npm's missing package would.
  const hide = path.join(tmp, 'hide-webgpu.cjs');
  writeFileSync(hide, `const M = require('module'); const resolve = M._resolveFilename;
M._resolveFilename = function (request, ...rest) {
  if (request === 'webgpu') throw Object.assign(new Error("Cannot find module 'webgpu'"), { code: 'MODULE_NOT_FOUND' });
  return resolve.call(this, request, ...rest);
};`);
  environments.push({ name: "no 'webgpu' package", driver: false, missingPackage: true, env: { NODE_OPTIONS: `--require ${hide}` } });
});
afterAll(async () => {
  await removeTmpDir(tmp);
});

const CASES = [
  // Bad input fails before any backend is probed, and as one line, whatever the backend asked for.
  { name: 'bad --data, webgpu asked', args: ['eval', MODEL, '--data', '/nonexistent/data', '--backend', 'webgpu'], code: 2, error: /nonexistent\/data: no such file/ },
  { name: 'bad --budget, auto', args: ['compress', MODEL, '--out', '/nonexistent/out', '--data', 'mnist', '--prune', 'magnitude:0.5', '--budget', 'size<=tiny'], code: 2, error: /budget/ },
  { name: 'bad model, auto', args: ['eval', '/nonexistent/model', '--data', 'mnist'], code: 2, error: /nonexistent\/model/ },
  { name: 'ONNX eval never probes', args: ['eval', ONNX, '--data', '/nonexistent/data'], code: 2, error: /nonexistent\/data/ },
  // These probe: auto must pass over a missing or software adapter silently.
  { name: 'eval, auto', args: ['eval', MODEL, '--data', 'mnist', '--limit', '20', '--no-latency', '--json'], code: 0 },
  { name: 'eval, webgpu asked', args: ['eval', MODEL, '--data', 'mnist', '--limit', '20', '--no-latency', '--json', '--backend', 'webgpu'] },
];

/** Runs every case in one child process in `env`; returns the per-case results and what reached the real fd 2. */
function runEnvironment(env: Record<string, string | undefined>, tmpdir: string): Promise<{ results: CaseResult[]; stderr: string }> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, TMPDIR: tmpdir, ...env })) if (v !== undefined) childEnv[k] = v;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', RUNNER, JSON.stringify(CASES)], { cwd: ROOT, env: childEnv, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      resolve({ results: JSON.parse(stdout.trim().split('\n').pop()!), stderr });
    });
  });
}

const NATIVE_NOISE = /XDG_RUNTIME_DIR|^Warning:|^\s+at \S+ \(|vkCreateInstance|Couldn't load Vulkan/m;

describe('no native output reaches the user, in every environment', () => {
  it('each environment: errors are one line, probing is silent, no temp folder is left', async () => {
    expect(environments.length).toBeGreaterThanOrEqual(2);
    // Concurrently: most of each run is waiting for a child probe or for data.
    const runs = await Promise.all(environments.map((e, i) => {
      const tmpdir = path.join(tmp, `tmp-${i}`);
      mkdirSync(tmpdir);
      return runEnvironment(e.env, tmpdir).then((r) => ({ ...r, e, tmpdir }));
    }));
    for (const { results, stderr, e, tmpdir } of runs) {
      const where = `[${e.name}]`;
      expect(stderr, `${where} native output on fd 2`).toBe('');
      for (const c of CASES) {
        const r = results.find((x) => x.name === c.name)!;
        const context = `${where} ${c.name}: stderr was\n${r.stderr}`;
        const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
        // Our one error line may quote Dawn (that is the point); any other line must not look native.
        expect(lines.filter((l) => !l.startsWith('shrinkml: error: ')).join('\n'), context).not.toMatch(NATIVE_NOISE);
        if (c.error) {
          expect(r.code, context).toBe(c.code);
          expect(lines, context).toHaveLength(1);
          expect(lines[0], context).toMatch(/^shrinkml: error: /);
          expect(lines[0], context).toMatch(c.error);
        } else if (c.name === 'eval, webgpu asked') {
          if (e.driver) {
            expect(r.code, context).toBe(0);
            expect(JSON.parse(r.stdout).device, context).toMatch(/swiftshader/i);
          } else if (e.missingPackage) {
            expect(r.code, context).toBe(3);
            expect(lines, context).toHaveLength(1);
            expect(lines[0], context).toMatch(/^shrinkml: error: backend 'webgpu' is unavailable: the optional package webgpu .*is not installed: npm install webgpu@\d/);
          } else {
            // Asked for explicitly and impossible here: one line, exit 3, saying what Dawn saw and what to do.
            expect(r.code, context).toBe(3);
            expect(lines, context).toHaveLength(1);
            expect(lines[0], context).toMatch(/^shrinkml: error: backend 'webgpu' is unavailable: no WebGPU adapter was found \(Dawn: .+\) \(.*VK_ICD_FILENAMES/);
          }
        } else {
          expect(r.code, context).toBe(c.code);
          // auto skips a software adapter, and a missing one, for wasm (tfjs-node is not installed here).
          expect(JSON.parse(r.stdout).device, context).toMatch(/^wasm/);
        }
      }
      expect(results.find((x) => x.name === 'api')!.stdout, where).not.toBe('webgpu');
      // The private runtime dir given to Dawn when XDG_RUNTIME_DIR is unset is removed again.
      expect(readdirSync(tmpdir), where).toEqual([]);
    }
  }, 240_000);
});
