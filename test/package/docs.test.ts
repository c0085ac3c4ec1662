import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokenLinks, links, slug } from './links.js';

/**
 * The API reference is generated from the TSDoc (typedoc.json: shrinkml, shrinkml/runtime, shrinkml/onnx-web; `npm
 * run docs` writes it to docs/api/) — here into a scratch folder, so it is never stale. typedoc runs with warnings as
 * errors: a `{@link}` that does not resolve, or a type in a signature that the reference cannot show, fails it. Then
 * every exported name must have TSDoc, and no relative link or anchor may be broken in the markdown docs or the
 * generated HTML.
 */
const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'shrinkml-docs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Reflection { name: string; kind: number; comment?: unknown; signatures?: Reflection[]; children?: Reflection[] }
/** typedoc's ReflectionKind.Reference. */
const REFERENCE = 0x400000;
let project: Reflection;
let typedoc = { status: 0 as number | null, output: '' };
beforeAll(() => {
  try {
    typedoc.output = execFileSync(join(root, 'node_modules/.bin/typedoc'),
      ['--out', join(work, 'api'), '--json', join(work, 'api.json'), '--logLevel', 'Warn'],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 400_000 });
  } catch (e) {
    const err = e as { status: number | null; stdout: string; stderr: string };
    typedoc = { status: err.status, output: `${err.stdout}${err.stderr}` };
  }
  if (typedoc.status === 0) project = JSON.parse(readFileSync(join(work, 'api.json'), 'utf8'));
}, 420_000);

const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => /warning|error/.test(l)).join('\n');

describe('API reference (typedoc)', () => {
  it('builds with no warning: every {@link} resolves, every type in a signature is shown', () => {
    expect(plain(typedoc.output)).toBe('');
    expect(typedoc.status).toBe(0);
  });

  it('documents the three entry points, and every name they export has TSDoc', () => {
    const modules = project.children!;
    expect(modules.map((m) => m.name).sort()).toEqual(['shrinkml', 'shrinkml/onnx-web', 'shrinkml/runtime']);
    const undocumented = modules.flatMap((m) => (m.children ?? [])
      .filter((c) => c.name !== '<internal>')     // types the exports refer to, shown but not importable
      .filter((c) => c.kind !== REFERENCE)         // a name two entry points export: checked where it is declared
      .filter((c) => !c.comment && !c.signatures?.some((s) => s.comment))
      .map((c) => `${m.name}: ${c.name}`));
    expect(undocumented).toEqual([]);
    expect(modules.find((m) => m.name === 'shrinkml')!.children!.map((c) => c.name))
      .toEqual(expect.arrayContaining(['compress', 'quantizeModel', 'PruningCallback', 'measureModel']));
  });
});

describe('links', () => {
  it('the checker finds broken files and anchors (and skips external links and code)', () => {
    const dir = mkdtempSync(join(work, 'check-'));
    const md = join(dir, 'a.md');
    writeFileSync(md, ['# Title', '## Über `x` & y', '[ok](#über-x--y) [ok](a.md#title) [x](https://no.where)',
      '[bad](#nope) [bad](missing.md) [ok](b.html#z)', '`[no](code.md)`', '```', '[no](fenced.md)', '```'].join('\n'));
    writeFileSync(join(dir, 'b.html'), '<a id="z" href="a.md#title">');
    expect(slug('Über `x` & y')).toBe('über-x--y');
    expect(links(md)).toHaveLength(6);
    expect(brokenLinks([md, join(dir, 'b.html')]).map((l) => l.slice(dir.length + 1))).toEqual([
      'a.md: #nope (no such anchor)', 'a.md: missing.md (no such file)',
    ]);
  });

  it('none broken in the README, the docs, the other markdown files and the generated reference', () => {
    const markdown = execFileSync('git', ['ls-files', '*.md', ':!:test/fixtures/**'], { cwd: root, encoding: 'utf8' })
      .trim().split('\n').map((f) => join(root, f));
    const html = (readdirSync(join(work, 'api'), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.html')).map((f) => join(work, 'api', f));
    expect(markdown).toContain(join(root, 'docs/guides/qat.md'));
    expect(html.length).toBeGreaterThan(100);
    expect(brokenLinks([...markdown, ...html])).toEqual([]);
  });
});
