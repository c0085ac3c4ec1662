/** The ops of kernels/broadcast-binary, in the order of their wasm op codes. */
export const BINARY_OPS = ['Add', 'Sub', 'Multiply', 'RealDiv'] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

const f32 = Math.fround;
const APPLY: Record<BinaryOp, (a: number, b: number) => number> = {
  Add: (a, b) => f32(a + b), Sub: (a, b) => f32(a - b), Multiply: (a, b) => f32(a * b), RealDiv: (a, b) => f32(a / b),
};

/** out = a op b with numpy broadcasting, one float32 operation per element (a double result rounded once is the float32 result for these four). */
export function broadcastBinaryRef(op: BinaryOp, a: { shape: number[]; values: ArrayLike<number> },
  b: { shape: number[]; values: ArrayLike<number> }): { shape: number[]; values: Float32Array } {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...Array(rank - s.length).fill(1), ...s] as number[];
  const sa = pad(a.shape), sb = pad(b.shape);
  const shape = sa.map((d, i) => Math.max(d, sb[i]!));
  const n = shape.reduce((x, y) => x * y, 1);
  const index = (s: number[], flat: number) => {
    let at = 0, rest = flat;
    for (let i = rank - 1, stride = 1; i >= 0; i--) {
      const coord = rest % shape[i]!;
      rest = Math.floor(rest / shape[i]!);
      if (s[i] !== 1) at += coord * stride;
      stride *= s[i]!;
    }
    return at;
  };
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = APPLY[op](a.values[index(sa, i)]!, b.values[index(sb, i)]!);
  return { shape, values };
}
