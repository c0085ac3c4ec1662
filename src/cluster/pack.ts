import { ShrinkmlError } from '../core/errors.js';

/**
 * Index streams of the clustered format (browser-safe, no dependencies).
 * - dense: every index in `bits` bits, little-endian bit order (index i occupies bits i·b .. i·b+b−1).
 * - sparse: for weights with a pinned zero (code 0): one byte per non-zero holding the number of zeros before it
 *   (255 = "255 zeros and no value yet"), then one byte per non-zero holding its code. Byte-aligned on purpose:
 *   gzip's Huffman stage codes bytes, so separate byte streams compress close to their entropy, while bit-packed
 *   codes straddle bytes and compress poorly.
 */
export type IndexEncoding = 'dense' | 'sparse';

export function packBits(indices: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((indices.length * bits) / 8));
  let bit = 0;
  for (let i = 0; i < indices.length; i++) {
    let v = indices[i]!;
    for (let b = 0; b < bits; b++, bit++) {
      if (v & 1) out[bit >>> 3]! |= 1 << (bit & 7);
      v >>>= 1;
    }
  }
  return out;
}

export function unpackBits(bytes: Uint8Array, bits: number, count: number): Uint8Array {
  if (bytes.length * 8 < count * bits) {
    throw new ShrinkmlError('BAD_INPUT', `clustered weights: ${bytes.length} bytes cannot hold ${count} indices of ${bits} bits`);
  }
  const out = new Uint8Array(count);
  let bit = 0;
  for (let i = 0; i < count; i++) {
    let v = 0;
    for (let b = 0; b < bits; b++, bit++) if (bytes[bit >>> 3]! & (1 << (bit & 7))) v |= 1 << b;
    out[i] = v;
  }
  return out;
}

export function packSparse(indices: Uint8Array): Uint8Array {
  const gaps: number[] = [];
  const codes: number[] = [];
  let run = 0;
  for (const c of indices) {
    if (c === 0) {
      run++;
      continue;
    }
    while (run >= 255) { gaps.push(255); run -= 255; }
    gaps.push(run);
    codes.push(c);
    run = 0;
  }
  const out = new Uint8Array(4 + gaps.length + codes.length);
  new DataView(out.buffer).setUint32(0, gaps.length, true);
  out.set(gaps, 4);
  out.set(codes, 4 + gaps.length);
  return out;
}

export function unpackSparse(bytes: Uint8Array, count: number): Uint8Array {
  const bad = (why: string) => new ShrinkmlError('BAD_INPUT', `clustered weights: sparse index stream is corrupt (${why})`);
  if (bytes.length < 4) throw bad('too short');
  const gapCount = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + gapCount > bytes.length) throw bad('gap count past the end');
  const out = new Uint8Array(count);
  let at = 0;
  let code = 4 + gapCount;
  for (let g = 4; g < 4 + gapCount; g++) {
    const gap = bytes[g]!;
    at += gap;
    if (gap === 255) continue;
    if (at >= count || code >= bytes.length) throw bad('runs past the end of the weight');
    out[at++] = bytes[code++]!;
  }
  return out;
}
