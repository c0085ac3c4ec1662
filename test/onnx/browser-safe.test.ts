import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The ONNX decoding and checking modules are what a browser build reuses (bytes from fetch, onnxruntime-web):
 * they must not import Node built-ins, onnxruntime-node, or the Node-only modules (adapter, write).
 */
const PURE = ['schema.ts', 'wire.ts', 'proto.ts', 'tensor.ts', 'walk.ts', 'decode.ts'];

describe('browser-safe ONNX modules', () => {
  it.each(PURE)('src/formats/onnx/%s', (file) => {
    const source = readFileSync(new URL(`../../src/formats/onnx/${file}`, import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
    if (file !== 'schema.ts') expect(imports.length).toBeGreaterThan(0);
    for (const spec of imports) {
      expect(spec.startsWith('node:') || ['fs', 'path', 'os', 'crypto', 'onnxruntime-node'].includes(spec)).toBe(false);
      expect(['./adapter.js', './write.js', '../read.js', '../atomic.js', '../protect.js'].includes(spec)).toBe(false);
    }
  });
});
