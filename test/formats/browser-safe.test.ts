import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * manifest/validate/encode are the parsing and checking logic a browser build reuses (with fetch instead of fs):
 * they must not import Node built-ins or the Node-only modules of this folder.
 */
const PURE = ['manifest.ts', 'validate.ts', 'encode.ts', 'types.ts'];
const NODE_ONLY = ['node-io', 'read', 'atomic', 'cleanup', 'protect', 'save', 'registry', 'layers', 'graph', 'index'];

describe('browser-safe modules', () => {
  it.each(PURE)('%s imports no Node built-ins or Node-only modules', (file) => {
    const source = readFileSync(new URL(`../../src/formats/${file}`, import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(file === 'types.ts' ? 0 : 1);
    for (const spec of imports) {
      expect(spec.startsWith('node:') || ['fs', 'path', 'os', 'crypto'].includes(spec)).toBe(false);
      expect(NODE_ONLY.some((m) => spec === `./${m}.js`)).toBe(false);
    }
  });
});
