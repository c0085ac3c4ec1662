import { readFileSync } from 'node:fs';

/**
 * Real English sentences for the text encoder: the GPL-3 and Apache-2.0 texts every Debian system carries
 * (/usr/share/common-licenses, package base-files; verbatim copying is permitted), split into sentences of 30–200
 * characters, in document order.
 */
export function sentences(count: number): string[] {
  const text = ['Apache-2.0', 'GPL-3'].map((f) => readFileSync(`/usr/share/common-licenses/${f}`, 'utf8')).join(' ').replace(/\s+/g, ' ');
  const all = text.split(/(?<=[.;:])\s+/).map((s) => s.trim()).filter((s) => s.length >= 30 && s.length <= 200 && /[a-z]/.test(s));
  if (all.length < count) throw new Error(`only ${all.length} sentences available, ${count} asked`);
  return all.slice(0, count);
}

/**
 * The Universal Sentence Encoder lite tokenizer (@tensorflow-models/universal-sentence-encoder's Tokenizer, which
 * @energetic-ai/embeddings reuses): NFKC, '▁' for spaces and before the text, then the highest-scoring
 * segmentation into vocabulary pieces (Viterbi over the vocab's log-probabilities); runs of unknown symbols
 * collapse into one id 0.
 */
export function tokenizeUse(input: string, vocab: [string, number][]): number[] {
  const ids = tokenIndex(vocab);
  const normalized = input.normalize('NFKC');
  const text = normalized.length ? '\u2581' + normalized.replace(/ /g, '\u2581') : normalized;
  const symbols = [...text];
  const n = symbols.length;
  const best = new Float64Array(n + 1);
  const words = new Int32Array(n + 1);
  const lengths = new Int32Array(n + 1);
  for (let end = 1; end <= n; end++) {
    let found = false;
    for (let start = Math.max(0, end - ids.maxLength); start < end; start++) {
      const id = ids.map.get(symbols.slice(start, end).join(''));
      if (id === undefined) continue;
      const score = vocab[id]![1] + best[start]!;
      if (!found || score >= best[end]!) { best[end] = score; words[end] = id; lengths[end] = end - start; found = true; }
    }
    if (!found) { best[end] = best[end - 1]! - 100; words[end] = 0; lengths[end] = 1; }
  }
  const out: number[] = [];
  for (let at = n; at > 0; at -= lengths[at]!) out.push(words[at]!);
  out.reverse();
  return out.filter((id, i) => !(id === 0 && out[i - 1] === 0));
}

const cache = new WeakMap<object, { map: Map<string, number>; maxLength: number }>();
function tokenIndex(vocab: [string, number][]) {
  let index = cache.get(vocab);
  if (!index) {
    const map = new Map<string, number>();
    let maxLength = 1;
    vocab.forEach(([piece], i) => { if (!map.has(piece)) map.set(piece, i); maxLength = Math.max(maxLength, [...piece].length); });
    cache.set(vocab, (index = { map, maxLength }));
  }
  return index;
}
