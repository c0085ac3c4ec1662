// Runs kernel suites on the active backend and compares with their references; no test framework, so the same
// code runs in a browser page (page.ts) and could run in any script.
import * as tf from '@tensorflow/tfjs';
import type { KernelCase, KernelSuite, TensorData } from '../../kernels/types.js';

export type Suite = KernelSuite & { references?: (c: KernelCase) => TensorData[] };

export interface CaseResult {
  kernel: string;
  name: string;
  ok: boolean;
  /** Why not, or the largest relative error for suites with a tolerance. */
  detail: string;
}

function compare(suite: Suite, got: TensorData, want: TensorData): string | null {
  if (JSON.stringify(got.shape) !== JSON.stringify(want.shape)) return `shape ${got.shape} want ${want.shape}`;
  if (got.dtype !== want.dtype) return `dtype ${got.dtype} want ${want.dtype}`;
  let worst = 0;
  for (let i = 0; i < want.values.length; i++) {
    const g = got.values[i]!, w = want.values[i]!;
    if (Object.is(g, w)) continue;
    if (suite.tolerance === 0 || Number.isNaN(g) || Number.isNaN(w)) return `[${i}] got ${g} want ${w}`;
    worst = Math.max(worst, Math.abs(g - w) / (1 + Math.abs(w)));
  }
  return worst > suite.tolerance ? `error ${worst} > ${suite.tolerance}` : null;
}

async function runOne(suite: Suite, c: KernelCase): Promise<string | null> {
  const before = tf.memory().numTensors;
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape, v.dtype)]));
  const out = tf.engine().runKernel(suite.kernelName, inputs, c.attrs) as tf.Tensor | tf.Tensor[];
  const outs = Array.isArray(out) ? out : [out];
  const got: TensorData[] = [];
  for (const t of outs) got.push({ shape: t.shape, dtype: t.dtype as 'float32', values: (await t.data()) as Float32Array });
  tf.dispose([...outs, ...Object.values(inputs)]);
  if (tf.memory().numTensors !== before) return `leaked ${tf.memory().numTensors - before} tensors`;
  const want = suite.references ? suite.references(c) : [suite.reference(c)];
  if (got.length !== want.length) return `${got.length} outputs, want ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const problem = compare(suite, got[i]!, want[i]!);
    if (problem) return `output ${i}: ${problem}`;
  }
  return null;
}

/** Every case of every suite, in order; a thrown error is a failed case, not an aborted run. */
export async function runSuites(suites: Suite[]): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const suite of suites) {
    for (const c of suite.cases()) {
      let problem: string | null;
      try {
        problem = await runOne(suite, c);
      } catch (e) {
        problem = `threw ${(e as Error).message}`;
      }
      results.push({ kernel: suite.kernelName, name: c.name, ok: problem === null, detail: problem ?? 'ok' });
    }
  }
  return results;
}
