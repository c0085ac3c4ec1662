import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * src/onnx/browser.ts (decode, calibrate, static QDQ, the onnxruntime-web runtime) must bundle for a browser: esbuild
 * on the browser platform fails on any Node built-in it meets, and no Node-only module may be reached. tfjs and
 * onnxruntime-web are the application's to bundle (test/browser/calibrate.test.ts bundles them too, and runs it).
 */
describe('browser-safe ONNX calibration', () => {
  it('src/onnx/browser.ts bundles for the browser without Node built-ins, onnxruntime-node or Node-only modules', async () => {
    const result = await build({
      entryPoints: [new URL('../../src/onnx/browser.ts', import.meta.url).pathname],
      bundle: true, write: false, platform: 'browser', format: 'esm', metafile: true, logLevel: 'silent',
      external: ['@tensorflow/*', 'onnxruntime-web'],
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs).toEqual(expect.arrayContaining(['src/onnx/calibrate.ts', 'src/onnx/static.ts', 'src/onnx/runtime-web.ts', 'src/onnx/static-calibrated.ts']));
    for (const p of inputs) {
      expect(p).not.toMatch(/^node:|onnxruntime-node|src\/onnx\/(runtime|compress|evaluate|measure|verify)\.ts|src\/formats\/(onnx\/(write|adapter)|atomic|protect|read)\.ts/);
    }
    // '<runtime>': protobufjs's guarded require() probe (@protobufjs/inquire), which returns null in a browser.
    const externals = Object.values(result.metafile.inputs).flatMap((i) => i.imports.filter((x) => x.external && x.path !== '<runtime>').map((x) => x.path));
    expect([...new Set(externals)].sort()).toEqual(['@tensorflow/tfjs', 'onnxruntime-web']);
  });
});
