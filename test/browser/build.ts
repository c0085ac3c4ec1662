// Bundles page.ts for the browser with esbuild, as an application would bundle shrinkml from npm.
import { build } from 'esbuild';

/** Node-only modules that must never reach a browser bundle (shrinkml loads them only in Node, dynamically). */
export const NODE_ONLY = ['webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'node:*'];

/** Writes the bundle (ESM, browser platform) and returns its text size in bytes. */
export async function buildPageBundle(outfile: string): Promise<number> {
  const result = await build({
    entryPoints: [new URL('./page.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile,
    external: NODE_ONLY,
    logLevel: 'silent',
    metafile: true,
  });
  return Object.values(result.metafile.outputs).reduce((s, o) => s + o.bytes, 0);
}
