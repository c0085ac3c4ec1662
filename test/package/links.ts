import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';

/**
 * A link checker for the docs with no network: every relative link in a markdown or HTML file must name a file or
 * folder that exists, and its `#anchor` an id in the target (a GitHub heading slug in markdown, an `id`/`name` in
 * HTML). External links (any scheme) are not followed.
 */

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens, repeats numbered -1, -2, ... */
export function slug(heading: string): string {
  return heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').trim().toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '').replace(/\s/g, '-');
}

const stripFences = (md: string) => md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
const stripCode = (md: string) => stripFences(md).replace(/`[^`\n]*`/g, '');
const decode = (s: string) => s.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** The ids a link can point at in a file. */
export function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8');
  const ids = new Set([...text.matchAll(/\s(?:id|name)="([^"]+)"/g)].map((m) => decode(m[1]!)));
  if (extname(file) === '.md') {
    const seen = new Map<string, number>();
    for (const m of stripFences(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
      const base = slug(m[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      ids.add(n === 0 ? base : `${base}-${n}`);
    }
  }
  return ids;
}

/** The link targets of a file: markdown `[x](target)`, `[x]: target` and HTML href/src (outside code in markdown). */
export function links(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  if (extname(file) === '.html') return [...text.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((m) => decode(m[1]!));
  const md = stripCode(text);
  return [
    ...[...md.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
    ...[...md.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((m) => m[1]!),
    ...[...md.matchAll(/<(?:a|img)\s[^>]*(?:href|src)="([^"]*)"/g)].map((m) => m[1]!),
  ];
}

/** Broken links of the files, as `file: target (why)`. */
export function brokenLinks(files: readonly string[]): string[] {
  const cache = new Map<string, Set<string>>();
  const idsOf = (f: string) => cache.get(f) ?? cache.set(f, anchors(f)).get(f)!;
  const broken: string[] = [];
  for (const file of files) {
    for (const link of links(file)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith('//')) continue;   // external: not followed
      const [path, anchor] = link.split('#', 2) as [string, string | undefined];
      const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path.split('?')[0]!));
      if (!existsSync(target)) { broken.push(`${file}: ${link} (no such file)`); continue; }
      if (!anchor || statSync(target).isDirectory() || !/\.(md|html)$/.test(target)) continue;
      if (!idsOf(target).has(decodeURIComponent(anchor))) broken.push(`${file}: ${link} (no such anchor)`);
    }
  }
  return broken;
}
