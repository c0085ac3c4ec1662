/** Inputs of the kernel in order: x0, x1, ... (the keys runKernel got). */
export function orderedInputs<T>(inputs: Record<string, T>): T[] {
  return Object.keys(inputs).filter((k) => /^x\d+$/.test(k)).sort((a, b) => +a.slice(1) - +b.slice(1)).map((k) => inputs[k]!);
}

/** The bits of |v| as float32: the order of magnitudes, NaN after +Infinity, -0 equal to 0. */
export function magnitudeBits(v: number): number {
  const f = new Float32Array([v]);
  return new Uint32Array(f.buffer)[0]! & 0x7fffffff;
}

/** Sorts (bits of |w|, global index) and takes the k-th; k = 0 gives (-1, -1). */
export function magnitudeThresholdRef(xs: ArrayLike<number>[], k: number): { threshold: number; index: number } {
  if (k === 0) return { threshold: -1, index: -1 };
  const bits: number[] = [];
  for (const x of xs) for (let i = 0; i < x.length; i++) bits.push(magnitudeBits(x[i]!));
  const order = Array.from(bits.keys()).sort((a, b) => bits[a]! - bits[b]! || a - b);
  const g = order[k - 1]!;
  const f = new Float32Array(new Uint32Array([bits[g]!]).buffer);
  return { threshold: f[0]!, index: g };
}
