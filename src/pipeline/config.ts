import { readFile, stat } from 'node:fs/promises';
import { ShrinkmlError } from '../core/errors.js';
import { assertSchema, type ObjectSchema } from './schema.js';
import { STEP_NAMES, getStep } from './steps/index.js';
import { PHASES, type StepName } from './steps/types.js';
import { parse as parseYaml } from 'yaml';

/** One step of a pipeline: which technique and its options (validated against that step's schema). */
export interface StepConfig {
  step: StepName;
  options: Record<string, unknown>;
}

/**
 * A pipeline is data: ordered steps with their options, a seed, how much data training may use, and search
 * limits. Written as JSON (`--config file.json`), built from a preset, or from CLI flags; it round-trips through
 * JSON.stringify/parse unchanged and is recorded in every output's lineage.
 */
export interface PipelineConfig {
  version: 1;
  description?: string;
  /** Every seeded choice (batch order, random importance, fresh students) derives from it. Default 1. */
  seed: number;
  steps: StepConfig[];
  data?: { trainLimit?: number; validationLimit?: number; calibrationSamples?: number };
  /** Budget search limits; `accuracyMargin` is the z of a drop limit's margin (see search/margin.ts). */
  search?: { maxTrials?: number; timeoutSeconds?: number; sensitivitySamples?: number; accuracyMargin?: number };
}

const count = { type: 'number', integer: true, min: 1, max: 10_000_000 } as const;

export const PIPELINE_SCHEMA: ObjectSchema = {
  type: 'object', required: ['steps'],
  properties: {
    $schema: { type: 'string' },
    version: { type: 'number', integer: true, min: 1, max: 1, description: 'config format version (1)' },
    description: { type: 'string' },
    seed: { type: 'number', integer: true, min: 0, max: 2 ** 32 - 1 },
    steps: {
      type: 'array', minItems: 1,
      items: {
        type: 'object', required: ['step'],
        properties: { step: { type: 'string', enum: STEP_NAMES }, options: { type: 'object', properties: {}, additional: true } },
      },
    },
    data: { type: 'object', properties: { trainLimit: count, validationLimit: count, calibrationSamples: count } },
    search: {
      type: 'object',
      properties: {
        maxTrials: { ...count, max: 1000 }, timeoutSeconds: { type: 'number', min: 1, max: 7 * 24 * 3600 }, sensitivitySamples: count,
        accuracyMargin: { type: 'number', min: 0, max: 10, description: 'standard errors added to the accuracy drop before a drop limit is checked (0: none)' },
      },
    },
  },
};

/**
 * Hard limits on a config, which is untrusted input: a 53 MB config with a million steps ran for minutes and its
 * YAML twin exhausted V8's heap. Far above any real pipeline; each error names the limit.
 */
export const CONFIG_LIMITS = { bytes: 1_000_000, steps: 64, stringLength: 1000, arrayItems: 10_000, depth: 16 } as const;

function checkLimits(value: unknown, source: string): void {
  const fail = (message: string, subject: string) => {
    throw new ShrinkmlError('LIMIT', `${source}: ${message}`, { subject, suggestion: 'a pipeline config is a short list of steps; see `shrinkml compress --help`' });
  };
  const steps = (value as { steps?: unknown } | null)?.steps;
  if (Array.isArray(steps) && steps.length > CONFIG_LIMITS.steps) fail(`steps has ${steps.length} entries; the limit is ${CONFIG_LIMITS.steps}`, 'steps');
  const walk = (v: unknown, at: string, depth: number): void => {
    if (depth > CONFIG_LIMITS.depth) fail(`${at} is nested deeper than ${CONFIG_LIMITS.depth} levels`, at);
    if (typeof v === 'string') {
      if (v.length > CONFIG_LIMITS.stringLength) fail(`${at} is ${v.length} characters long; the limit is ${CONFIG_LIMITS.stringLength}`, at);
    } else if (Array.isArray(v)) {
      if (v.length > CONFIG_LIMITS.arrayItems) fail(`${at} has ${v.length} items; the limit is ${CONFIG_LIMITS.arrayItems}`, at);
      v.forEach((item, i) => walk(item, `${at}[${i}]`, depth + 1));
    } else if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      if (entries.length > CONFIG_LIMITS.arrayItems) fail(`${at} has ${entries.length} fields; the limit is ${CONFIG_LIMITS.arrayItems}`, at);
      for (const [k, item] of entries) {
        if (k.length > CONFIG_LIMITS.stringLength) fail(`a field name under ${at} is ${k.length} characters long; the limit is ${CONFIG_LIMITS.stringLength}`, at);
        walk(item, at === '(root)' ? k : `${at}.${k}`, depth + 1);
      }
    }
  };
  walk(value, '(root)', 0);
}

/** Steps that decide how weights are stored; two of them would fight over the same weights. */
const STORAGE: readonly StepName[] = ['cluster', 'qat', 'ptq', 'weight-format'];

/**
 * Validates a config object (parsed JSON, a preset, flags) and fills defaults. Errors are BAD_INPUT naming
 * `source` and the path of the bad field, e.g. `pipeline.json: steps[1].options.sparsity must be ≤ 1`.
 */
export function parsePipelineConfig(value: unknown, source = 'pipeline config'): PipelineConfig {
  checkLimits(value, source);
  assertSchema(value, PIPELINE_SCHEMA, { source });
  const raw = value as Omit<PipelineConfig, 'steps' | 'version' | 'seed'> & { steps: { step: string; options?: Record<string, unknown> }[]; seed?: number; version?: 1; $schema?: string };
  const steps = raw.steps.map((s, i): StepConfig => {
    const path = `steps[${i}]`;
    const step = getStep(s.step, `${source}: ${path}.step`);
    const options = s.options ?? {};
    assertSchema(options, step.schema, { source, path: `${path}.options` });
    try {
      step.check?.(options, `${path}.options`);
    } catch (e) {
      if (e instanceof ShrinkmlError && e.code === 'BAD_INPUT' && !e.message.startsWith(source)) {
        throw new ShrinkmlError('BAD_INPUT', `${source}: ${e.message}`, { subject: e.subject, suggestion: e.suggestion, cause: e });
      }
      throw e;
    }
    return { step: step.name, options: structuredClone(options) };
  });
  checkOrder(steps, source);
  const config: PipelineConfig = { version: 1, seed: raw.seed ?? 1, steps };
  if (raw.description !== undefined) config.description = raw.description;
  if (raw.data) config.data = { ...raw.data };
  if (raw.search) config.search = { ...raw.search };
  return config;
}

function checkOrder(steps: StepConfig[], source: string): void {
  let last = 0;
  let storage: number | undefined;
  steps.forEach((s, i) => {
    const step = getStep(s.step);
    const phase = PHASES.indexOf(step.phase);
    if (phase < last) {
      throw new ShrinkmlError('BAD_INPUT', `${source}: steps[${i}].step '${s.step}' cannot come after a ${PHASES[last]} step (order: ${PHASES.join(' → ')})`, {
        subject: `steps[${i}].step`, suggestion: 'train (prune, distill) first, then cluster, then quantize, then the weight format',
      });
    }
    last = phase;
    if (STORAGE.includes(s.step)) {
      if (storage !== undefined) {
        throw new ShrinkmlError('BAD_INPUT', `${source}: steps[${i}].step '${s.step}' and steps[${storage}].step '${steps[storage]!.step}' both decide how weights are stored; keep one`, {
          subject: `steps[${i}].step`,
        });
      }
      storage = i;
    }
  });
}

/**
 * Reads and validates a pipeline config file: JSON, or YAML when it is named .yaml/.yml (both go through the same
 * schema, so errors name the same field paths). YAML is parsed with `yaml` in its core schema: no custom tags.
 */
export async function loadPipelineConfig(file: string): Promise<PipelineConfig> {
  let text: string;
  try {
    // Size first: the parsers hold the whole document (and YAML its node tree) in memory.
    const { size } = await stat(file);
    if (size > CONFIG_LIMITS.bytes) {
      throw new ShrinkmlError('LIMIT', `${file}: the pipeline config is ${size} bytes; the limit is ${CONFIG_LIMITS.bytes}`, {
        subject: file, suggestion: 'a pipeline config is a short list of steps; see `shrinkml compress --help`',
      });
    }
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof ShrinkmlError) throw e;
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ShrinkmlError(missing ? 'NOT_FOUND' : 'BAD_INPUT', `${file}: cannot read the pipeline config (${(e as Error).message})`, { subject: file, cause: e });
  }
  const isYaml = /\.ya?ml$/i.test(file);
  let value: unknown;
  try {
    value = isYaml ? parseYaml(text, { schema: 'core', uniqueKeys: true }) : JSON.parse(text);
  } catch (e) {
    // yaml's messages span lines (a code frame); the first line has the problem and its line/column.
    const reason = (e as Error).message.split('\n')[0];
    throw new ShrinkmlError('BAD_INPUT', `${file}: not valid ${isYaml ? 'YAML' : 'JSON'} (${reason})`, {
      subject: file, suggestion: 'see `shrinkml compress --help` for an example config',
    });
  }
  return parsePipelineConfig(value, file);
}
