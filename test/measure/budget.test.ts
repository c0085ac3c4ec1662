import { describe, expect, it } from 'vitest';
import { ShrinkmlError } from '../../src/core/errors.js';
import {
  budgetToString, checkBudget, formatBudget, parseBudget, toBudget, type Measurement,
} from '../../src/measure/index.js';

describe('parseBudget: good criteria', () => {
  it.each([
    ['size<=300KB', 'size', '<=', 300_000],
    ['size<=300KiB', 'size', '<=', 307_200],
    ['size<=1.5MB', 'size', '<=', 1_500_000],
    ['size<=2MiB', 'size', '<=', 2 * 1024 * 1024],
    ['size<=512B', 'size', '<=', 512],
    ['size<=4096', 'size', '<=', 4096],
    ['gzip<100kb', 'gzip', '<', 100_000],
    ['p50<=2ms', 'p50', '<=', 2],
    ['p95<=0.005s', 'p95', '<=', 5],
    ['p50<=500us', 'p50', '<=', 0.5],
    ['acc>=0.98', 'acc', '>=', 0.98],
    ['acc>=98%', 'acc', '>=', 0.98],
    ['accuracy>0.9', 'acc', '>', 0.9],
    ['drop<=0.5%', 'drop', '<=', 0.5],
    ['drop<=0.5pt', 'drop', '<=', 0.5],
    ['drop<=0%', 'drop', '<=', 0],
    ['params<=100k', 'params', '<=', 100_000],
    ['params<=1.2M', 'params', '<=', 1_200_000],
    ['params=101770', 'params', '=', 101_770],
    ['nonzero<=50k', 'nonzero', '<=', 50_000],
    ['sparsity>=0.5', 'sparsity', '>=', 0.5],
    ['sparsity>=90%', 'sparsity', '>=', 0.9],
    ['agreement>=0.99', 'agreement', '>=', 0.99],
    ['meanKl<=0.01', 'kl', '<=', 0.01],
    ['cosine>=-0.5', 'cosine', '>=', -0.5],
    ['mse<=1e-3', 'mse', '<=', 0.001],
    ['psnr>=40dB', 'psnr', '>=', 40],
    [' size <= 300 KB ', 'size', '<=', 300_000],
  ] as const)('%s', (text, metric, op, target) => {
    const [c] = parseBudget(text).criteria;
    expect(c).toEqual({ text: text.replace(/\s+/g, ''), metric, op, target });
  });

  it('parses the full example and round-trips through JSON and back to a string', () => {
    const text = 'size<=300KB,gzip<=100KB,p50<=2ms,p95<=5ms,acc>=0.98,drop<=0.5%,params<=100k,sparsity>=0.5,agreement>=0.99';
    const budget = parseBudget(text);
    expect(budget.criteria.map((c) => [c.metric, c.target])).toEqual([
      ['size', 300_000], ['gzip', 100_000], ['p50', 2], ['p95', 5], ['acc', 0.98], ['drop', 0.5],
      ['params', 100_000], ['sparsity', 0.5], ['agreement', 0.99],
    ]);
    const revived = JSON.parse(JSON.stringify(budget));
    expect(revived).toEqual(budget);
    expect(toBudget(revived)).toEqual(budget);
    expect(budgetToString(budget)).toBe(text);
    expect(parseBudget(budgetToString(budget))).toEqual(budget);
  });

  it('a lower and an upper bound on one metric are fine', () => {
    expect(parseBudget('size>=1KB,size<=2KB').criteria).toHaveLength(2);
  });
});

describe('parseBudget: errors name the criterion and the expected form', () => {
  it.each([
    ['', /budget is empty/],
    ['acc0.98', /'acc0.98': missing operator/],
    ['latency<=2ms', /unknown metric 'latency'; known metrics: size, gzip, p50, p95, acc, drop/],
    ['size<=2ms', /'ms' is not a unit for size; use B, KB, KiB/],
    ['p50<=2', /p50 needs a unit; use ms, s or us/],
    ['p50<=2KB', /'KB' is not a unit for p50/],
    ['drop<=0.5', /drop needs a unit; use % or pt/],
    ['params<=100x', /'x' is not a unit for params/],
    ['acc>=NaN', /'NaN' is not a number/],
    ['acc>=', /no value after '>='/],
    ['acc>=abc', /'abc' is not a number/],
    ['acc>=1.5', /1.5 is outside the possible range 0..1 of acc/],
    ['acc>=98', /outside the possible range 0..1 of acc; did you mean 98%/],
    ['acc>=101%', /outside the possible range/],
    ['size<=0', /no size can be <= 0: the budget can never be met/],
    ['size<0KB', /the budget can never be met/],
    ['p50<=0ms', /the budget can never be met/],
    ['p50<=0', /no p50 can be <= 0/],
    ['drop<0', /no drop can be < 0/],
    ['drop<=-1%', /outside the possible range 0..100 of drop/],
    ['acc>1', /no acc can be > 1/],
    ['size<=-5KB', /outside the possible range/],
    ['acc>=0.9,acc>=0.95', /'acc>=0.95': duplicates 'acc>=0.9'/],
    ['size<=1KB,size<2KB', /duplicates/],
    ['params=10,params<=20', /duplicates/],
    ['size<=1KB,size>=2KB', /'size>=2KB': contradicts 'size<=1KB'/],
    ['size>1KB,size<1000B', /contradicts/],
    ['acc>=0.9,', /criterion 2 is empty/],
    ['acc>=0.9,,size<=1KB', /criterion 2 is empty/],
  ])('%j', (text, message) => {
    let err: unknown;
    try { parseBudget(text); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ShrinkmlError);
    expect((err as ShrinkmlError).code).toBe('BUDGET');
    expect((err as ShrinkmlError).subject).toBe('--budget');
    expect((err as ShrinkmlError).message).toMatch(message);
    expect((err as ShrinkmlError).message).not.toContain('\n');
  });

  it('an example of the right form comes as the suggestion', () => {
    try { parseBudget('p50<=2'); } catch (e) { expect((e as ShrinkmlError).suggestion).toBe('e.g. p50<=2ms'); }
    expect.assertions(1);
  });

  it('a budget object is re-validated', () => {
    expect(() => toBudget({ criteria: [{ text: 'acc>=2', metric: 'acc', op: '>=', target: 2 }] })).toThrow(/outside/);
    expect(() => toBudget({} as never)).toThrow(ShrinkmlError);
  });
});

const measured: Partial<Measurement> = {
  size: { bytes: 250_000, gzipBytes: 120_000, files: [] },
  latency: { backend: 'cpu', p50Ms: 1.5, p95Ms: 6, byBatch: [] },
  accuracy: 0.985, drop: 0.3, params: 100_000, sparsity: 0.5, psnr: Infinity,
};

describe('checkBudget', () => {
  it.each([
    ['size<=300KB', true, 50_000],
    ['size<250KB', false, 0],
    ['size<=250KB', true, 0],
    ['gzip<=100KB', false, -20_000],
    ['p50<=2ms', true, 0.5],
    ['p95<=5ms', false, -1],
    ['acc>=0.98', true, 0.005],
    ['acc>0.99', false, -0.005],
    ['drop<=0.5%', true, 0.2],
    ['params<=100k', true, 0],
    ['params=100k', true, -0],
    ['params>100k', false, 0],
    ['sparsity>=0.6', false, -0.1],
    ['psnr>=40dB', true, Infinity],
  ])('%s → pass %s, margin %d', (text, pass, margin) => {
    const result = checkBudget(parseBudget(text), measured);
    expect(result.pass).toBe(pass);
    expect(result.criteria[0].pass).toBe(pass);
    expect(result.criteria[0].margin).toBeCloseTo(margin, 9);
    expect(result.criteria[0].criterion).toBe(text);
  });

  it('a criterion whose value was not measured fails with reason "not measured"', () => {
    const result = checkBudget(parseBudget('size<=300KB,agreement>=0.99'), measured);
    expect(result.pass).toBe(false);
    expect(result.criteria[0].pass).toBe(true);
    expect(result.criteria[1]).toEqual({
      criterion: 'agreement>=0.99', metric: 'agreement', op: '>=', target: 0.99, measured: null, pass: false, margin: null, reason: 'not measured',
    });
  });

  it('agreement or kl on a model whose outputs are not class scores says so (cosine measured, top-1 not)', () => {
    const result = checkBudget(parseBudget('agreement>=0.99,kl<=0.01,psnr>=30'), { ...measured, cosine: 0.999, psnr: 35 });
    expect(result.criteria.map((c) => c.reason)).toEqual([
      'not measured: no output is class scores (pose, boxes, images); budget cosine or psnr',
      'not measured: no output is class scores (pose, boxes, images); budget cosine or psnr',
      undefined,
    ]);
    expect(result.pass).toBe(false);
  });

  it('formatBudget shows each verdict, measured value and margin, then the overall verdict', () => {
    const text = formatBudget(checkBudget(parseBudget('size<=300KB,p95<=5ms,acc>=98%,agreement>=0.99'), measured));
    expect(text.split('\n')).toEqual([
      'PASS  size<=300KB      measured 250 KB  margin 50 KB',
      'FAIL  p95<=5ms         measured 6 ms  margin -1 ms',
      'PASS  acc>=98%         measured 98.5%  margin 0.5%',
      'FAIL  agreement>=0.99  not measured',
      'budget: FAIL (2 of 4 criteria failed)',
    ]);
  });
});
