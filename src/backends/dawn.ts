import { OPTIONAL_PEERS } from '../core/optional.js';
import type { AdapterDescription } from './types.js';

/**
 * WebGPU in Node through Dawn (the optional `webgpu` package), without Dawn's native output reaching the user.
 *
 * Loading Dawn writes to fd 2 from C++, where no JS hook can catch it: `error: XDG_RUNTIME_DIR is invalid or not
 * set` twice (libwayland, from the Vulkan ICDs, when the variable is unset) and a 3–5 line warning with a native
 * stack frame when there is no Vulkan loader, no driver, or a driver Dawn rejects. What was measured (2 cores, loaded):
 * - a private runtime dir: free, and silences the XDG lines (libwayland only checks that the path is absolute);
 * - looking for a Vulkan loader/ICD before loading: free, but cannot see a driver that Dawn then rejects (Mesa's
 *   lavapipe here: "shaderUniform*ArrayDynamicIndexing required"), nor a loader that exists but fails to load;
 * - probing in a child process whose stderr is kept: one Node start-up more than in-process (0.15–0.5 s on the loaded
 *   2-core dev box: 250–770 ms against 100–250 ms), and the only one that is silent in every case.
 * So the adapter is probed in a child (only when a command may use WebGPU: never for wasm/cpu/ONNX), and Dawn is
 * loaded into this process only once the child found an adapter we are going to use.
 */

/** Dynamic, with a variable specifier, so browser bundles never see a Node built-in or the Dawn addon. */
async function load(specifier: string): Promise<any> {
  return import(/* @vite-ignore */ specifier);
}

const WEBGPU_PACKAGE = 'webgpu';
const PROBE_TIMEOUT_MS = 20_000;

/** Where the `webgpu` package's entry is, resolved from shrinkml's own location (it is an optional peer). */
async function resolveDawnEntry(): Promise<string | null> {
  const { createRequire } = await load('node:module');
  const { pathToFileURL } = await load('node:url');
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve(WEBGPU_PACKAGE)).href;
  } catch {
    return null;
  }
}

export const MISSING_WEBGPU =
  `the optional package ${WEBGPU_PACKAGE} (Dawn for Node) is not installed: npm install ${WEBGPU_PACKAGE}@${OPTIONAL_PEERS.webgpu}`;

/** libwayland only checks that XDG_RUNTIME_DIR is an absolute path; an unset or relative one makes it print. */
function runtimeDirMissing(): boolean {
  return !process.env.XDG_RUNTIME_DIR?.startsWith('/');
}

/** A fresh, private (0700) empty folder for XDG_RUNTIME_DIR; the caller removes it. */
async function privateRuntimeDir(): Promise<string> {
  const { mkdtempSync } = await load('node:fs');
  const { tmpdir } = await load('node:os');
  const { join } = await load('node:path');
  return mkdtempSync(join(tmpdir(), 'shrinkml-xdg-'));
}

async function removeDir(dir: string): Promise<void> {
  const { rmSync } = await load('node:fs');
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs in the child (a script, so an async function rather than top-level await): loads Dawn, asks for an adapter,
 * prints one JSON line, exits (Dawn keeps Node alive).
 */
const CHILD = `(async () => {
  const { create } = await import(process.argv[1]);
  const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
  const info = adapter ? (adapter.info ?? {}) : null;
  process.stdout.write(JSON.stringify(info && {
    vendor: String(info.vendor ?? ''), architecture: String(info.architecture ?? ''), description: String(info.description ?? ''),
    isFallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false),
  }) + '\\n');
  process.exit(0);
})();`;

/** Dawn's first warning, without the native frame: "Couldn't load Vulkan: …", "vkCreateInstance: Found no drivers!". */
function dawnReason(stderr: string): string | undefined {
  const line = stderr.split('\n').map((l) => l.trim()).find((l) => /^warning:/i.test(l));
  return line?.replace(/^warning:\s*/i, '').slice(0, 200);
}

/** What to do about it is selectBackend's suggestion (a driver, or SwiftShader); this says only what Dawn saw. */
const NO_ADAPTER = 'no WebGPU adapter was found';

/** Describes the adapter Dawn would give this process, found in a child process; a string says why there is none. */
export async function probeDawnAdapter(): Promise<AdapterDescription | string> {
  const entry = await resolveDawnEntry();
  if (!entry) return MISSING_WEBGPU;
  const { execFile } = await load('node:child_process');
  const dir = runtimeDirMissing() ? await privateRuntimeDir() : undefined;
  try {
    const env = { ...process.env, ...(dir ? { XDG_RUNTIME_DIR: dir } : {}) };
    const { stdout, stderr, error } = await new Promise<{ stdout: string; stderr: string; error: Error | null }>((resolve) => {
      execFile(process.execPath, ['-e', CHILD, entry], { env, timeout: PROBE_TIMEOUT_MS, maxBuffer: 1 << 20 },
        (err: Error | null, out: string, errOut: string) => resolve({ stdout: String(out), stderr: String(errOut), error: err }));
    });
    const last = stdout.trim().split('\n').pop() ?? '';
    let found: AdapterDescription | null | undefined;
    try { found = JSON.parse(last); } catch { found = undefined; }
    if (found) {
      return { ...found, isFallback: found.isFallback || /swiftshader|llvmpipe|lavapipe/i.test(`${found.architecture} ${found.description}`) };
    }
    const why = dawnReason(stderr);
    if (found === null) return why ? `${NO_ADAPTER} (Dawn: ${why})` : NO_ADAPTER;
    const killed = (error as { killed?: boolean } | null)?.killed;
    return `the WebGPU probe (Dawn in a child process) ${killed ? `did not answer within ${PROBE_TIMEOUT_MS / 1000} s` : 'failed'}` +
      `${why ? `: ${why}` : error ? `: ${error.message.split('\n')[0]}` : ''}`;
  } finally {
    if (dir) await removeDir(dir);
  }
}

let installed: Promise<string | null> | undefined;

/**
 * Puts Dawn's navigator.gpu into this process (once). Call only after probeDawnAdapter found an adapter: then the
 * only native output left to silence is libwayland's, which a private XDG_RUNTIME_DIR does. The folder is removed
 * once the drivers are loaded; the variable keeps pointing there, which is all libwayland checks.
 */
export function installNavigatorGpu(): Promise<string | null> {
  installed ??= (async () => {
    const entry = await resolveDawnEntry();
    if (!entry) return MISSING_WEBGPU;
    const dir = runtimeDirMissing() ? await privateRuntimeDir() : undefined;
    if (dir) process.env.XDG_RUNTIME_DIR = dir;
    try {
      const mod = await load(entry);
      const g = globalThis as any;
      Object.assign(g, mod.globals);
      const gpu = mod.create([]);
      if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
      else Object.defineProperty(g, 'navigator', { value: { gpu }, configurable: true, writable: true });
      // Dawn reads the Vulkan drivers (and libwayland the variable) when the first adapter is enumerated.
      await gpu.requestAdapter({ powerPreference: 'high-performance' });
      return null;
    } catch (e) {
      return `the ${WEBGPU_PACKAGE} package (Dawn for Node) failed to load: ${(e as Error).message.split('\n')[0]}`;
    } finally {
      if (dir) await removeDir(dir);
    }
  })();
  return installed;
}
