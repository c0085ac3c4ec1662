import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `import 'shrinkml'` loads no native addon: onnxruntime-node (and tfjs-node, Dawn) are optional peers imported on
 * first use. Every .node file goes through process.dlopen, so wrapping it lists what an import loaded. The repo has
 * the optional peers installed, so an eager import would show here.
 */
const root = resolve(import.meta.dirname, '../..');
const addonsLoadedBy = (specifier: string): string[] => JSON.parse(execFileSync('node', ['--input-type=module', '-e', `
  const loaded = [];
  const dlopen = process.dlopen;
  process.dlopen = (module, file, ...rest) => { loaded.push(file); return dlopen(module, file, ...rest); };
  await import(${JSON.stringify(specifier)});
  console.log(JSON.stringify(loaded));
`], { cwd: root, encoding: 'utf8' }));

describe('import shrinkml', () => {
  it.each([
    ['shrinkml', 'dist/src/index.js'],
    ['shrinkml/runtime', 'dist/src/runtime/index.js'],
  ])('%s loads no native addon', (_name, entry) => {
    expect(addonsLoadedBy(pathToFileURL(resolve(root, entry)).href)).toEqual([]);
  });

  it('sees a native addon when one is imported (the probe works)', () => {
    expect(addonsLoadedBy('onnxruntime-node').some((f) => f.endsWith('.node'))).toBe(true);
  });
});
