/** Rows min, max, absMax per channel (index mod C); comparisons skip NaN; -0 becomes 0. Float32 [3 · C]. */
export function channelMinMaxRef(x: ArrayLike<number>, channels: number): Float32Array {
  const out = new Float32Array(3 * channels);
  for (let c = 0; c < channels; c++) {
    let mn = Infinity, mx = -Infinity, am = 0;
    for (let i = c; i < x.length; i += channels) {
      const v = x[i]!;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
      if (Math.abs(v) > am) am = Math.abs(v);
    }
    out[c] = mn + 0; // -0 + 0 is +0
    out[channels + c] = mx + 0;
    out[2 * channels + c] = am;
  }
  return out;
}
