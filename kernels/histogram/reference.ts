const f32 = Math.fround;

/** counts[i] for finite x, i = floor(f32(f32(x - min) · f32(bins / f32(max - min)))) clamped to [0, bins - 1]. */
export function histogramRef(x: ArrayLike<number>, o: { bins: number; min: number; max: number }): Int32Array {
  const counts = new Int32Array(o.bins);
  const lo = f32(o.min);
  const scale = histogramScale(o);
  for (let j = 0; j < x.length; j++) {
    const v = x[j]!;
    if (!Number.isFinite(v)) continue;
    const i = Math.floor(f32(f32(v - lo) * scale));
    counts[i < 0 ? 0 : i >= o.bins ? o.bins - 1 : i]! += 1;
  }
  return counts;
}

/** f32(bins / f32(max - min)): shared by every kernel so bin edges agree bit for bit. */
export function histogramScale(o: { bins: number; min: number; max: number }): number {
  return f32(o.bins / f32(f32(o.max) - f32(o.min)));
}
