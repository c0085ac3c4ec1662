import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromFlags, getPreset, loadPipelineConfig, parsePipelineConfig, PRESET_NAMES, PRESETS } from '../../src/pipeline/index.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';

let dir: string;
beforeAll(async () => { dir = await makeTmpDir('shrinkml-config-'); });
afterAll(() => removeTmpDir(dir));

const prune = (options: Record<string, unknown>) => ({ step: 'prune', options: { method: 'magnitude:0.9', ...options } });

describe('parsePipelineConfig errors carry the path of the bad field', () => {
  it.each([
    ['no steps', {}, /^p\.json: steps is required$/],
    ['an empty step list', { steps: [] }, /p\.json: steps needs at least 1 item/],
    ['an unknown step', { steps: [{ step: 'sparsify' }] }, /p\.json: steps\[0\]\.step must be one of prune, distill, cluster, qat, ptq, weight-format; got 'sparsify'/],
    ['an out-of-range option', { steps: [{ step: 'cluster', options: { clusters: 128 } }] }, /p\.json: steps\[0\]\.options\.clusters must be ≤ 64, got 128/],
    ['a mistyped option', { steps: [prune({ finetuneEpochs: '3' })] }, /steps\[0\]\.options\.finetuneEpochs expected a number, got string/],
    ['an unknown option', { steps: [prune({ sparsity: 0.9 })] }, /steps\[0\]\.options\.sparsity unknown field \(expected method, /],
    ['a missing required option', { steps: [{ step: 'weight-format', options: {} }] }, /steps\[0\]\.options\.encoding is required/],
    ['a bad prune spec', { steps: [{ step: 'prune', options: { method: 'magnitude:1.5' } }] }, /p\.json: steps\[0\]\.options\.method: --prune 'magnitude:1\.5': sparsity must be in \[0, 1\)/],
    ['a bad exclude pattern', { steps: [prune({ exclude: ['/dense[/'] })] }, /steps\[0\]\.options\.exclude\[0\]: '\/dense\[\/' is not a valid regular expression/],
    ['steps out of phase order', { steps: [{ step: 'cluster' }, prune({})] }, /steps\[1\]\.step 'prune' cannot come after a cluster step/],
    ['two storage steps', { steps: [{ step: 'cluster' }, { step: 'weight-format', options: { encoding: 'uint8' } }] }, /steps\[1\]\.step 'weight-format' and steps\[0\]\.step 'cluster' both decide/],
    ['a bad seed', { seed: -1, steps: [prune({})] }, /p\.json: seed must be ≥ 0, got -1/],
    ['an unknown top-level field', { steps: [prune({})], stesp: [] }, /p\.json: stesp unknown field/],
    ['a bad search limit', { steps: [prune({})], search: { maxTrials: 0 } }, /search\.maxTrials must be ≥ 1/],
  ])('%s', (_name, value, message) => {
    expect(() => parsePipelineConfig(value, 'p.json')).toThrow(message);
  });

  it('fills defaults and round-trips through JSON unchanged', () => {
    const config = parsePipelineConfig({ steps: [prune({ finetuneEpochs: 1 }), { step: 'cluster', options: { clusters: 32 } }] });
    expect(config.seed).toBe(1);
    expect(config.version).toBe(1);
    expect(parsePipelineConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
  });

  it('reads a JSON file and names it in errors', async () => {
    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ seed: 7, steps: [prune({})] }));
    expect((await loadPipelineConfig(good)).seed).toBe(7);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{ "steps": [ }');
    await expect(loadPipelineConfig(bad)).rejects.toThrow(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON`));
    await expect(loadPipelineConfig(path.join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('reads the same pipeline from YAML, with line numbers for syntax errors and field paths for schema errors', async () => {
    const yaml = path.join(dir, 'pipeline.yaml');
    writeFileSync(yaml, [
      'seed: 3', 'steps:', '  - step: prune', '    options: { method: "magnitude:0.9:global", finetuneEpochs: 1 }',
      '  - step: cluster', '    options:', '      clusters: 32', '',
    ].join('\n'));
    const fromJson = parsePipelineConfig({ seed: 3, steps: [{ step: 'prune', options: { method: 'magnitude:0.9:global', finetuneEpochs: 1 } }, { step: 'cluster', options: { clusters: 32 } }] });
    expect(await loadPipelineConfig(yaml)).toEqual(fromJson);
    const broken = path.join(dir, 'broken.yml');
    writeFileSync(broken, 'seed: 1\nsteps:\n  - step: prune\n   options: [\n');
    await expect(loadPipelineConfig(broken)).rejects.toThrow(/broken\.yml: not valid YAML \(.*line \d+/);
    const duplicate = path.join(dir, 'duplicate.yaml');
    writeFileSync(duplicate, 'seed: 1\nseed: 2\nsteps: []\n');
    await expect(loadPipelineConfig(duplicate)).rejects.toThrow(/duplicate\.yaml: not valid YAML/);
    const badField = path.join(dir, 'bad-field.yaml');
    writeFileSync(badField, 'steps:\n  - step: cluster\n    options: { clusters: many }\n');
    await expect(loadPipelineConfig(badField)).rejects.toThrow(/bad-field\.yaml: steps\[0\]\.options\.clusters/);
  });
});

describe('presets', () => {
  it('are edge, balanced and max-accuracy, and balanced is the prune → distill → QAT recipe', () => {
    expect(PRESET_NAMES).toEqual(['edge', 'balanced', 'max-accuracy']);
    expect(getPreset('balanced').steps.map((s) => s.step)).toEqual(['prune', 'distill', 'qat']);
    expect(() => getPreset('tiny')).toThrow(/unknown preset 'tiny'/);
  });
  it('hand out copies', () => {
    getPreset('edge').steps[0]!.options.method = 'magnitude:0.1';
    expect(PRESETS[0]!.config.steps[0]!.options.method).toBe('magnitude:0.95:global');
  });
});

describe('configFromFlags', () => {
  it.each([
    ['prune + fine-tune + uint8 storage', { prune: 'magnitude:0.9:global', finetuneEpochs: 2, quantize: 'weights:uint8' }, undefined,
      [['prune', { method: 'magnitude:0.9:global', finetuneEpochs: 2 }], ['weight-format', { encoding: 'uint8' }]]],
    ['a preset with a different quantizer and teacher', { quantize: 'static', distillFrom: 'teacher/' }, 'balanced',
      [['prune', { method: 'magnitude:0.8:global', finetuneEpochs: 1 }], ['distill', { epochs: 1, temperature: 4, alpha: 0.3, teacher: 'teacher/' }], ['ptq', { mode: 'static' }]]],
    ['clustering inserted before quantization', { cluster: 32, finetuneEpochs: 0 }, 'edge',
      [['prune', { method: 'magnitude:0.95:global', finetuneEpochs: 0, learningRate: 2e-3 }], ['cluster', { clusters: 32, finetuneEpochs: 0, storage: 'codebook' }]]],
  ])('%s', (_name, flags, preset, steps) => {
    const config = configFromFlags(flags, preset ? getPreset(preset) : undefined);
    expect(config.steps.map((s) => [s.step, s.options])).toEqual(steps);
  });
  it.each([
    [{ finetuneEpochs: 2 }, /--finetune-epochs: there is no prune or cluster step/],
    [{ quantize: 'int4' }, /--quantize: unknown mode 'int4'/],
    [{ prune: 'magnitude:2' }, /flags: steps\[0\]\.options\.method: --prune 'magnitude:2'/],
    [{ cluster: 16, quantize: 'qat' }, /'qat' and steps\[0\]\.step 'cluster' both decide/],
  ])('refuses %j', (flags, message) => {
    expect(() => configFromFlags(flags)).toThrow(message);
  });
});
