/** Rows (R) and row length (K) of x as the kernel sees it. */
export function quantizeGeometry(shape: number[], transpose: boolean): { rows: number; k: number; outShape: number[] } {
  const size = shape.reduce((a, b) => a * b, 1);
  const last = shape[shape.length - 1] ?? 1;
  if (transpose) return { rows: last, k: size / Math.max(last, 1), outShape: [last, Math.ceil(size / Math.max(last, 1) / 4)] };
  return { rows: size / Math.max(last, 1), k: last, outShape: [...shape.slice(0, -1), Math.ceil(last / 4)] };
}

