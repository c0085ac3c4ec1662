import { ShrinkmlError } from '../core/errors.js';
import type { TopologyGraph } from './topology.js';
import { ruleFor, WIDTH_KEYS, type Rule } from './width-rules.js';

/** Why a width layer did not simply get round(width · factor). */
export type WidthConstraint = 'output' | 'joined with a fixed width' | 'joined with a concat or flatten';

export interface WidthChange {
  layer: string;
  className: string;
  key: string;
  from: number;
  to: number;
  constraint?: WidthConstraint;
}

/** max(1, round(width·factor)) to a multiple of `roundTo` (never rounded below min(roundTo, width)). */
export function scaleWidth(width: number, factor: number, roundTo = 1): number {
  const scaled = Math.round((width * factor) / roundTo) * roundTo;
  return Math.max(1, Math.min(roundTo, width), scaled);
}

class Groups {
  parent = new Map<string, string>();
  find(a: string): string {
    let r = a;
    while (this.parent.get(r) !== r) r = this.parent.get(r)!;
    this.parent.set(a, r);
    return r;
  }
  add(a: string): void { if (!this.parent.has(a)) this.parent.set(a, a); }
  union(a: string, b: string): void { this.parent.set(this.find(b), this.find(a)); }
}

/**
 * New widths for every Dense/Conv/RNN layer. Tensors joined by an element-wise merge form one group with one
 * width. A group takes round(width · factor) unless a member fixes it: a model input or output, a reshape or
 * unknown layer (which also fixes its inputs), or a concat/flatten whose width follows from its own inputs. When
 * two members of a group disagree, the inputs of the derived ones are fixed and the plan is made again.
 */
export function widthPlan(options: {
  graph: TopologyGraph; factor: number; roundTo?: number; originalWidth: (layer: string) => number;
}): WidthChange[] {
  const { graph, factor, originalWidth } = options;
  const groups = new Groups();
  const rules = new Map<string, Rule>([['', { kind: 'fixed', why: 'joined with a fixed width' }]]);
  groups.add('');
  const pinned = new Map<string, WidthConstraint>(); // group root → why it keeps its width
  const known = new Set(['']);
  graph.layers.forEach((layer, i) => {
    const name = layer.name!;
    const feeding = [...new Set(graph.inputs[i].flat())];
    for (const f of feeding) {
      if (!known.has(f)) throw new ShrinkmlError('UNSUPPORTED', `layer '${name}' reads '${f}' before it is defined in the model topology`, { subject: name });
    }
    known.add(name);
    groups.add(name);
    const rule = ruleFor(layer, feeding, originalWidth);
    rules.set(name, rule);
    if (rule.kind === 'same') feeding.forEach((f) => groups.union(f, name));
    if (rule.kind === 'fixed' && layer.class_name !== 'InputLayer') feeding.forEach((f) => pinned.set(f, 'joined with a fixed width'));
  });
  const members = new Map<string, string[]>();
  for (const name of known) {
    const root = groups.find(name);
    members.set(root, [...(members.get(root) ?? []), name]);
  }
  const pin = (name: string, why: WidthConstraint) => {
    const root = groups.find(name);
    if (!pinned.has(root)) pinned.set(root, why);
  };
  for (const [name, why] of [...pinned]) { pinned.delete(name); pin(name, why); }
  for (const name of graph.outputs) pin(name, 'output');

  for (let attempt = 0; attempt <= graph.layers.length; attempt++) {
    const widths = new Map<string, number>();
    const reasons = new Map<string, WidthConstraint>();
    const busy = new Set<string>();
    let conflict: string[] | null = null;
    const widthOf = (name: string): number => {
      const root = groups.find(name);
      const cached = widths.get(root);
      if (cached !== undefined) return cached;
      if (busy.has(root)) throw new ShrinkmlError('UNSUPPORTED', `layer '${name}': its width depends on itself`, { subject: name });
      busy.add(root);
      const values: { member: string; width: number; why: WidthConstraint }[] = [];
      const fixedWhy = pinned.get(root);
      if (fixedWhy) values.push({ member: name, width: originalWidth(members.get(root)![0]), why: fixedWhy });
      for (const m of members.get(root)!) {
        const rule = rules.get(m)!;
        if (rule.kind === 'fixed') values.push({ member: m, width: originalWidth(m), why: rule.why });
        if (rule.kind === 'concat') values.push({ member: m, width: rule.inputs.reduce((s, f) => s + widthOf(f), 0), why: 'joined with a concat or flatten' });
        if (rule.kind === 'scaleOf') values.push({ member: m, width: Math.round(widthOf(rule.input) * rule.multiplier), why: 'joined with a concat or flatten' });
      }
      let width: number;
      if (values.length === 0) {
        width = scaleWidth(originalWidth(name), factor, options.roundTo ?? 1);
      } else {
        width = values[0].width;
        reasons.set(root, values.find((v) => v.why === 'output')?.why ?? values[0].why);
        if (values.some((v) => v.width !== width) && !conflict) conflict = values.map((v) => v.member);
      }
      busy.delete(root);
      widths.set(root, width);
      return width;
    };
    const changes = graph.layers.filter((l) => WIDTH_KEYS[l.class_name]).map((layer): WidthChange => {
      const key = WIDTH_KEYS[layer.class_name];
      const to = widthOf(layer.name!);
      const constraint = reasons.get(groups.find(layer.name!));
      return { layer: layer.name!, className: layer.class_name, key, from: Number(layer.config[key]), to, ...(constraint ? { constraint } : {}) };
    });
    graph.layers.forEach((l) => widthOf(l.name!)); // every group, so conflicts outside width layers show too
    if (!conflict) return changes;
    // Fix the inputs of the derived members so that they keep their original widths, then plan again.
    for (const m of conflict as string[]) {
      const rule = rules.get(m)!;
      if (rule.kind === 'concat') rule.inputs.forEach((f) => pin(f, 'joined with a concat or flatten'));
      if (rule.kind === 'scaleOf') pin(rule.input, 'joined with a concat or flatten');
    }
  }
  throw new ShrinkmlError('UNSUPPORTED', 'cannot find consistent widths for this topology', { suggestion: 'build the student yourself and pass it instead (--student)' });
}
