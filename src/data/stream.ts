import { ShrinkmlError } from '../core/errors.js';
import type { ModelRunner } from '../formats/registry.js';
import type { HostTensor, ValueInfo } from '../formats/types.js';
import { datasetFeeds, type FeedPlan } from './feeds.js';
import type { Dataset } from './types.js';

/**
 * Recurrent and streaming models (an LSTM's h/c, Silero VAD's `state`) take their state as inputs and give the next
 * state as outputs. Fed zeros every time, such a model is measured on the first frame of a stream over and over;
 * fed back, it runs as it does in use. A state input pairs with the output of the same dims and a related name
 * (h → hn, c → cn, state → stateN, h0 → h_out); `--state in=out` sets a pair the names do not tell, `--state none`
 * turns feeding back off. With pairs, samples are frames of one stream, in order, one per run (batch 1).
 */
export interface StatePair { input: string; output: string }

/** `--state` values: `input=output` pairs, or 'none'. */
export function parseStateFlags(specs: readonly string[] | undefined): Record<string, string> | 'none' | undefined {
  if (!specs?.length) return undefined;
  if (specs.length === 1 && specs[0]!.trim() === 'none') return 'none';
  const pairs: Record<string, string> = {};
  for (const spec of specs) {
    const m = /^([^=]+)=([^=]+)$/.exec(spec.trim());
    if (!m) throw new ShrinkmlError('BAD_INPUT', `--state ${spec}: expected input=output (the output fed back into the input) or none`, { subject: '--state' });
    pairs[m[1]!.trim()] = m[2]!.trim();
  }
  return pairs;
}

/** Lower case, one trailing marker of "in", "out", "new", "next" or "0"/"n" removed: h0 → h, hn → h, stateN → state. */
function stem(name: string): string {
  return name.toLowerCase().replace(/(_?(in|out|new|next|prev)|[_.]?0|n)$/, '');
}

function sameDims(a: ValueInfo['shape'], b: ValueInfo['shape']): boolean {
  const fixed = (d: unknown) => typeof d === 'number' && d > 0;
  return a.length > 0 && a.length === b.length && a.every((d, i) => (fixed(d) && fixed(b[i]) ? d === b[i] : true));
}

/**
 * The state pairs of a planned model: given ones (checked: both names exist, dims agree), or inferred among the
 * inputs not fed from data. An output serves one input at most.
 */
export function pairStates(model: string, plan: FeedPlan, outputs: readonly ValueInfo[], given?: Record<string, string> | 'none'): StatePair[] {
  if (given === 'none') return [];
  const fixed = plan.inputs.filter((p) => p.role === 'fixed').map((p) => p.info);
  if (given) {
    return Object.entries(given).map(([input, output]) => {
      const i = plan.inputs.find((p) => p.info.name === input);
      const o = outputs.find((x) => x.name === output);
      if (!i) throw new ShrinkmlError('BAD_INPUT', `${model}: --state ${input}=${output} names input '${input}', which the model does not have (inputs: ${plan.inputs.map((p) => p.info.name).join(', ')})`, { subject: '--state' });
      if (!o) throw new ShrinkmlError('BAD_INPUT', `${model}: --state ${input}=${output} names output '${output}', which the model does not have (outputs: ${outputs.map((x) => x.name).join(', ')})`, { subject: '--state' });
      if (i.role === 'data') throw new ShrinkmlError('BAD_INPUT', `${model}: --state ${input}=${output}: '${input}' is fed from --data; a state input is fed back instead`, { subject: '--state' });
      if (o.shape.length && !sameDims(i.info.shape, o.shape)) {
        throw new ShrinkmlError('BAD_INPUT', `${model}: --state ${input}=${output}: input dims [${i.info.shape.join(', ')}] differ from output dims [${o.shape.join(', ')}]`, { subject: '--state' });
      }
      return { input, output };
    });
  }
  const taken = new Set<string>();
  const pairs: StatePair[] = [];
  for (const info of fixed) {
    if (!info.dtype.startsWith('float')) continue;
    const match = outputs.filter((o) => !taken.has(o.name) && o.dtype === info.dtype && sameDims(info.shape, o.shape) && stem(o.name) === stem(info.name));
    if (match.length !== 1) continue;
    taken.add(match[0]!.name);
    pairs.push({ input: info.name, output: match[0]!.name });
  }
  return pairs;
}

/** One line for reports: how a stream was fed. */
export function describeStates(pairs: readonly StatePair[]): string {
  return `state fed back frame by frame (${pairs.map((p) => `${p.input} ← ${p.output}`).join(', ')}); --state sets other pairs or none`;
}

/**
 * Runs frames [start, end) of `dataset` one by one, each with the state the previous frame gave (`carry`, updated in
 * place: pass the same object for consecutive ranges; empty, the planned values, zeros by default, start the
 * stream). Yields each frame's feeds and outputs.
 */
export async function* runStream(o: {
  runner: ModelRunner; plan: FeedPlan; pairs: readonly StatePair[]; dataset: Dataset; range: { start: number; end: number }; carry: Record<string, HostTensor>;
}): AsyncGenerator<{ feeds: Record<string, HostTensor>; outputs: Record<string, HostTensor> }> {
  for (let frame = o.range.start; frame < o.range.end; frame++) {
    const feeds = datasetFeeds(o.plan, o.dataset, { start: frame, end: frame + 1 });
    for (const p of o.pairs) if (o.carry[p.input]) feeds[p.input] = o.carry[p.input]!;
    const { outputs } = await o.runner.run(feeds);
    for (const p of o.pairs) {
      const next = outputs[p.output];
      const want = feeds[p.input]!;
      if (!next || next.data.length !== want.data.length) {
        throw new ShrinkmlError('BAD_INPUT', `output '${p.output}' [${next?.dims.join(', ') ?? 'missing'}] cannot be fed back into input '${p.input}' [${want.dims.join(', ')}]`, { subject: '--state' });
      }
      o.carry[p.input] = { data: next.data, dims: want.dims };
    }
    yield { feeds, outputs };
  }
}
