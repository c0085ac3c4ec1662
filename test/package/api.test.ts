import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The curated API (src/index.ts): explicit names grouped by task, fewer than 100 (values and types), each with TSDoc
 * at its declaration, the kernels kernels/README.md documents among them, and no internal helper leaking out.
 */
const root = resolve(import.meta.dirname, '../..');
const program = ts.createProgram([resolve(root, 'src/index.ts')], {
  module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
  strict: true, skipLibCheck: true, noEmit: true, types: ['node'],
});
const checker = program.getTypeChecker();
const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(resolve(root, 'src/index.ts'))!)!);
const target = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
const names = exported.map((s) => s.name);

describe('src/index.ts', () => {
  it('exports fewer than 100 names, none of them internal helpers', () => {
    expect(names.length).toBeGreaterThan(50);
    expect(names.length).toBeLessThan(100);
    for (const internal of ['esc', 'page', 'STYLE', 'mulberry32', 'onnx', 'KERNELS', 'parseIdx']) expect(names).not.toContain(internal);
  });

  it('exports the kernels kernels/README.md documents', () => {
    expect(names).toEqual(expect.arrayContaining(['registerKernels', 'matMulInt8', 'fakeQuant', 'histogram']));
  });

  it('has TSDoc on every exported name', () => {
    const undocumented = exported.filter((s) => ts.displayPartsToString(target(s).getDocumentationComment(checker)).trim() === '')
      .map((s) => s.name);
    expect(undocumented).toEqual([]);
  });
});
