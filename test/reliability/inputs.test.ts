import * as tf from '@tensorflow/tfjs';
import { mkdirSync, promises as fsp, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lockPath } from '../../src/formats/lock.js';
import { journalPath } from '../../src/pipeline/index.js';
import { writeNpy } from '../data/fixtures.js';
import { writeFixtureModel } from '../fixtures/models.js';
import { makeTmpDir, removeTmpDir } from '../fixtures/tmp.js';
import { expectCli, fingerprint, ROOT } from './harness.js';

/**
 * Bad configs, budgets, --out, --data and journals: refused in one line (exit 2, before anything is computed),
 * nothing written beside --out, the input model untouched.
 */
let tmp: string;
let model: string;
let n = 0;
let untouched: Record<string, Record<string, string>>;
const ONNX = path.join(ROOT, 'models/onnx/mnist-lenet-300-100.onnx');
const fresh = (suffix = '') => path.join(tmp, `out${n++}${suffix}`);
const file = (name: string, content: string) => {
  const p = path.join(tmp, `${n++}-${name}`);
  writeFileSync(p, content);
  return p;
};

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await makeTmpDir('shrinkml-reliability-inputs-');
  model = path.join(tmp, 'model');
  await writeFixtureModel({ kind: 'sequential', dir: model });
  untouched = { [model]: fingerprint(model), [ONNX]: fingerprint(ONNX) };
});
afterAll(() => removeTmpDir(tmp));

const compress = (...args: string[]) => ['compress', model, '--backend', 'cpu', '--no-latency', ...args];

/** name, arguments (built once tmp exists), the one error line. */
type Case = [string, () => string[], RegExp];

const CONFIGS: Case[] = [
  ['malformed JSON', () => ['--config', file('c.json', '{"steps": [')], /c\.json: not valid JSON/],
  ['malformed YAML', () => ['--config', file('c.yaml', 'steps: [a\n  - b: :')], /c\.yaml: not valid YAML/],
  ['an unknown field', () => ['--config', file('c.json', '{"steps": [{"step": "prune"}], "stpes": 1}')], /c\.json: stpes unknown field/],
  ['an unknown step', () => ['--config', file('c.json', '{"steps": [{"step": "shrink"}]}')], /c\.json: steps\[0\]\.step must be one of/],
  ['steps out of order', () => ['--config', file('c.json', '{"steps": [{"step": "weight-format", "options": {"encoding": "uint8"}}, {"step": "prune", "options": {"method": "magnitude:0.5"}}]}')],
    /c\.json: steps\[1\]\.step 'prune' cannot come after/],
  ['too many steps', () => ['--config', file('c.json', JSON.stringify({ steps: Array.from({ length: 1000 }, () => ({ step: 'prune' })) }))],
    /c\.json: steps has 1000 entries; the limit is 64/],
  ['a huge description', () => ['--config', file('c.json', JSON.stringify({ description: 'x'.repeat(5000), steps: [{ step: 'prune' }] }))],
    /c\.json: description is 5000 characters long; the limit is 1000/],
  ['a file over the size limit', () => ['--config', file('c.yaml', `description: "${'x'.repeat(1_100_000)}"\nsteps: []\n`)],
    /c\.yaml: the pipeline config is 1100\d+ bytes; the limit is 1000000/],
  ['a YAML alias bomb', () => ['--config', file('c.yaml', ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) =>
    `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`), 'steps: []'].join('\n'))],
  /c\.yaml: not valid YAML \(.*alias/i],
  ['a missing file', () => ['--config', path.join(tmp, 'nope.json')], /nope\.json: cannot read the pipeline config/],
  ['--preset and --config together', () => ['--preset', 'edge', '--config', file('c.json', '{"steps": [{"step": "prune"}]}')], /--preset and --config both give a pipeline/],
];

const BUDGETS: Case[] = [
  ['an unparseable budget', () => ['--budget', 'gzip<<5KB'], /budget|gzip<<5KB/],
  ['an unknown metric', () => ['--budget', 'speed<=5'], /speed/],
  ['a data criterion without --data', () => ['--budget', 'drop<=1%'], /budget criteria drop need data to measure/],
  ['a latency criterion with --no-latency', () => ['--budget', 'p50<=5ms'], /budget criteria p50 need latency, which --no-latency turns off/],
];

const OUTS: Case[] = [
  ['an existing --out without --force', () => {
    const out = fresh();
    mkdirSync(out);
    writeFileSync(path.join(out, 'keep'), '');
    return ['--out', out];
  }, /already exists/],
  ['--out over the input model', () => ['--out', model, '--force'], /refusing to write over the input model/],
  ['--out under a file', () => ['--out', path.join(model, 'model.json', 'x')], /cannot create its folder|not a folder|ENOTDIR/],
  ['--out that is a file', () => ['--out', file('a-file', 'x'), '--force'], /exists and is not a folder/],
  ['--out .onnx for a TensorFlow.js model', () => ['--out', fresh('.onnx')], /\.onnx.*shrinkml convert/],
];

const DATA: Case[] = [
  ['a missing path', () => ['--data', path.join(tmp, 'no-such-data'), '--quantize', 'weights:uint8'], /no-such-data/],
  ['a file that is not data', () => ['--data', file('x.txt', 'hello'), '--quantize', 'weights:uint8'], /x\.txt/],
  ['samples of the wrong shape', () => {
    const dir = path.join(tmp, `npy${n++}`);
    mkdirSync(dir);
    writeNpy(path.join(dir, 'x.npy'), [2, 3], [1, 2, 3, 4, 5, 6], '<f4');
    writeNpy(path.join(dir, 'y.npy'), [2], [0, 1], '<i8');
    return ['--data', dir, '--quantize', 'weights:uint8'];
  }, /samples of shape \[3\].*model input is \[null,4\]/],
];

describe.each([['configs', CONFIGS], ['budgets', BUDGETS], ['--out', OUTS], ['--data', DATA]])('bad %s', (_, cases) => {
  it.each(cases as Case[])('%s', async (_, args, error) => {
    const a = args();
    const out = a.includes('--out') ? a[a.indexOf('--out') + 1]! : fresh();
    const outArgs = a.includes('--out') ? [] : ['--out', out];
    // An --out that existed before the run (the refusal cases) is checked by `untouched`, not `absent`.
    const existed = fingerprint(out);
    await expectCli([...compress(...outArgs, ...a)], {
      code: 2, error, untouched: { ...untouched, ...(Object.keys(existed).length ? { [out]: existed } : {}) },
      absent: Object.keys(existed).length ? [] : [out], clean: [tmp, path.dirname(out)],
    });
  });
});

describe('eval: conflicts refused before anything is measured', () => {
  it.each([
    ['latency criteria with --no-latency', ['--no-latency', '--budget', 'p50<=5ms'], /budget criteria p50 need latency, which --no-latency turns off/],
    ['a drop limit without a reference', ['--data', 'mnist', '--budget', 'drop<=1%'], /compare against a reference model, and none is known/],
    ['accuracy without data', ['--budget', 'acc>=0.9'], /budget criteria acc need data to measure/],
  ])('%s', async (_, args, error) => {
    await expectCli(['eval', model, '--backend', 'cpu', ...args], { code: 2, error, untouched });
  });

  it('an output whose recorded input moved asks for --reference in one line', async () => {
    const out = fresh();
    const input = path.join(tmp, `moving${n++}`);
    await fsp.cp(path.join(ROOT, 'models/mnist-lenet-300-100'), input, { recursive: true });
    await expectCli(['compress', input, '--out', out, '--backend', 'cpu', '--no-latency', '--quantize', 'weights:uint8'], { code: 0 });
    await fsp.rename(input, `${input}-moved`);
    await expectCli(['eval', out, '--backend', 'cpu', '--data', 'mnist', '--limit', '50', '--no-latency', '--budget', 'drop<=1%'], {
      code: 2, error: /lineage\.json: the input model it records is not at .*moving\d+\/model\.json any more \(pass --reference <the original model>\)/,
    });
  });
});

describe('paths in lineage and report', () => {
  it.each([
    ['a folder output', false, (o: string) => path.join(o, 'lineage.json'), (o: string) => o],
    ['a folder output with --absolute-paths', true, (o: string) => path.join(o, 'lineage.json'), (o: string) => o],
    ['an ONNX output', false, (o: string) => o.replace(/\.onnx$/, '.lineage.json'), (o: string) => path.dirname(o)],
    ['an ONNX output with --absolute-paths', true, (o: string) => o.replace(/\.onnx$/, '.lineage.json'), (o: string) => path.dirname(o)],
  ])('%s: relative to the output with the sha256 unless asked otherwise', async (name, absolute, lineageOf, dirOf) => {
    const onnxOut = name.startsWith('an ONNX');
    const out = fresh(onnxOut ? '.onnx' : '');
    const input = onnxOut ? ONNX : model;
    const args = onnxOut ? ['compress', ONNX, '--no-latency', '--quantize', 'weights:float16'] : compress('--quantize', 'weights:uint8');
    await expectCli([...args, '--out', out, ...(absolute ? ['--absolute-paths'] : [])], { code: 0, untouched });
    const lineage = JSON.parse(readFileSync(lineageOf(out), 'utf8'));
    const descriptor = onnxOut ? input : path.join(input, 'model.json');
    expect(lineage.source).toBe(absolute ? descriptor : path.relative(dirOf(out), descriptor));
    expect(lineage.sourceHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    // No local path in what travels with the model, unless asked for.
    const report = onnxOut ? out.replace(/\.onnx$/, '.report.json') : path.join(out, 'report.json');
    if (!absolute) for (const f of [lineageOf(out), report]) expect(readFileSync(f, 'utf8')).not.toContain(tmp);
    else expect(JSON.parse(readFileSync(report, 'utf8')).output.path).toBe(onnxOut ? out : path.join(out, 'model.json'));
  });
});

describe('a corrupt search journal with --resume', () => {
  it.each([
    ['not JSON', '{"version": 1, "trials": ['],
    ['null', 'null'],
    ['trials a string', '{"version": 1, "key": {}, "trials": "many", "sensitivity": []}'],
    ['trials of {}', '{"version": 1, "key": {}, "trials": [{}], "sensitivity": []}'],
    ['no sensitivity', '{"version": 1, "key": {}, "trials": []}'],
  ])('%s: one line that says to delete it or drop --resume; the journal is kept', async (_, content) => {
    const out = fresh();
    const journal = journalPath(out);
    writeFileSync(journal, content);
    const before = fingerprint(journal);
    await expectCli(compress('--out', out, '--data', 'mnist', '--prune', 'magnitude:0.5', '--budget', 'gzip<=1MB', '--resume'), {
      code: 2, error: new RegExp(`${journal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot resume from it .*\\(delete the file to start the search afresh, or run without --resume\\)`),
      untouched: { ...untouched, [journal]: before }, absent: [out], clean: [tmp],
    });
  });
});

describe('another writer holds the output', () => {
  it.each([
    ['a folder output', () => fresh(), () => compress('--quantize', 'weights:uint8')],
    ['a single-file ONNX output', () => fresh('.onnx'), () => ['compress', ONNX, '--no-latency', '--quantize', 'weights:float16']],
  ])('%s: the second writer fails at once in one line and leaves the holder\'s lock', async (_, outOf, args) => {
    const out = outOf();
    // A live holder: this very process, as another run on this host would be.
    const lock = lockPath(out);
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: 'earlier' }));
    await expectCli([...args(), '--out', out, '--force'], {
      code: 2, error: /another shrinkml run \(pid \d+ on .*, since earlier\) is writing this output \(wait for it to finish or choose another output/,
      untouched, absent: [out],
    });
    await fsp.rm(lock);
  });
});
