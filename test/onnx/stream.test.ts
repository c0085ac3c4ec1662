import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFeeds } from '../../src/data/feeds.js';
import { loadData } from '../../src/data/index.js';
import { resolveDataFeed } from '../../src/data/sources.js';
import { pairStates, runStream } from '../../src/data/stream.js';
import { formatOf, loadModel } from '../../src/formats/index.js';
import { encodeOnnx } from '../../src/formats/onnx/index.js';
import type { HostTensor, LoadedModel } from '../../src/formats/types.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { compress } from '../../src/pipeline/index.js';
import { runCli } from '../cli/run.js';
import { writeNpy } from '../data/fixtures.js';
import { multiInputModel, randomValues } from './fixtures.js';

/**
 * Feeding real models the way they are used (issue 15.2): a recurrent model's state fed back frame by frame over a
 * real speech signal (Silero VAD: input, sr, h, c → output, hn, cn), one --data source per input, image folders
 * sized and laid out NCHW for an ONNX classifier, and every bad source refused in one line with nothing written.
 */
const FIXTURES = 'test/fixtures/onnx-real';
const VAD = `${FIXTURES}/silero_vad_legacy.onnx`;
const CLS = `${FIXTURES}/ch_ppocr_mobile_v2.0_cls_infer.onnx`;
const PHOTOS = 'test/fixtures/real/photos';
const dir = mkdtempSync(path.join(tmpdir(), 'shrinkml-onnx-stream-'));
let frames: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  // espeak-ng speech at 16 kHz in frames of 1536 samples, as the legacy Silero model takes them (16 frames).
  const b = readFileSync(`${FIXTURES}/speech-16k.f32`);
  const audio = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  frames = writeNpy(path.join(dir, 'frames.npy'), [audio.length / 1536, 1536], Array.from(audio), '<f4');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every frame's outputs, the state fed back (`pairs`) or zeros every time (no pairs). */
async function stream(loaded: LoadedModel, withState: boolean): Promise<Record<string, Float32Array>[]> {
  const adapter = formatOf(loaded);
  const r = await resolveDataFeed({ model: loaded.source, inputs: adapter.inputs(loaded), request: { data: [frames] }, feeding: { values: { sr: '16000' } } });
  const plan = await planFeeds(loaded.source, adapter.inputs(loaded), r.inputs);
  const pairs = withState ? pairStates(loaded.source, plan, adapter.outputs(loaded)) : [];
  const dataset = await loadData({ source: r.source, split: 'test', feed: r.feed });
  const runner = await adapter.runner(loaded);
  const out: Record<string, Float32Array>[] = [];
  try {
    for await (const { outputs } of runStream({ runner, plan, pairs, dataset, range: { start: 0, end: dataset.count }, carry: {} })) {
      out.push(Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.data as Float32Array])));
    }
  } finally {
    await runner.dispose();
  }
  return out;
}

const speech = (o: Record<string, Float32Array>[]) => o.map((f) => f.output![0]! > 0.5);

describe('recurrent state fed back frame by frame (Silero VAD, espeak-ng speech)', () => {
  it('pairs state inputs with outputs by dims and name; --state overrides or turns it off; a wrong pair is one line', async () => {
    const vad = await loadModel(VAD);
    const a = formatOf(vad);
    const plan = await planFeeds(VAD, a.inputs(vad), { values: { sr: '16000' }, shapes: { input: [1, 1536] } });
    expect(pairStates(VAD, plan, a.outputs(vad))).toEqual([{ input: 'h', output: 'hn' }, { input: 'c', output: 'cn' }]);
    expect(pairStates(VAD, plan, a.outputs(vad), 'none')).toEqual([]);
    expect(pairStates(VAD, plan, a.outputs(vad), { h: 'cn' })).toEqual([{ input: 'h', output: 'cn' }]);
    expect(() => pairStates(VAD, plan, a.outputs(vad), { h: 'hidden' })).toThrow(/--state h=hidden names output 'hidden', which the model does not have \(outputs: output, hn, cn\)/);
    expect(() => pairStates(VAD, plan, a.outputs(vad), { h: 'output' })).toThrow(/--state h=output: input dims \[2, batch, 64\] differ from output dims \[batch, 1\]/);
    // h[2,N,8] → h_next: the name tells the pair even with one candidate only.
    const multi = path.join(dir, 'multi.onnx');
    writeFileSync(multi, encodeOnnx(multiInputModel()));
    const m = await loadModel(multi);
    const mp = await planFeeds(multi, formatOf(m).inputs(m), { values: { sr: '16000' } });
    expect(pairStates(multi, mp, formatOf(m).outputs(m))).toEqual([{ input: 'h', output: 'h_next' }]);
    // Silero VAD v5's form: state [2, ?, 128] with an unnamed free dim, stateN with no dims declared at all.
    const g = new GraphBuilder('v5');
    const x = g.input('input', [null, 4]);
    const st = g.input('state', [2, null, 8]);
    g.node('MatMul', [x, g.initializer('w', [4, 1], randomValues(4, 9))], { outputs: ['output'] });
    g.node('Add', [st, g.initializer('one', [], [1])], { outputs: ['stateN'] });
    g.output('output', [null, 1]);
    g.output('stateN', [null, null, null]);
    const v5 = path.join(dir, 'v5.onnx');
    writeFileSync(v5, encodeOnnx(g.model()));
    const l5 = await loadModel(v5);
    const p5 = await planFeeds(v5, formatOf(l5).inputs(l5));
    expect(p5.notes).toContain("input 'state' [2, ?, 8]: its free dim at axis 1 follows the batch (--input-shape state=... sets it)");
    expect(pairStates(v5, p5, formatOf(l5).outputs(l5))).toEqual([{ input: 'state', output: 'stateN' }]);
  });

  it('fed back, the model hears the speech; fed zeros every frame it answers differently (the same as a hand-written loop)', async () => {
    const vad = await loadModel(VAD);
    const [fed, zeros] = [await stream(vad, true), await stream(vad, false)];
    expect(fed).toHaveLength(16);
    expect(speech(fed).filter(Boolean).length).toBeGreaterThanOrEqual(4);
    expect(speech(fed).filter((s) => !s).length).toBeGreaterThanOrEqual(2);
    const diff = Math.max(...fed.map((f, i) => Math.abs(f.output![0]! - zeros[i]!.output![0]!)));
    expect(diff).toBeGreaterThan(0.1);
    // Reference: the loop real-models.test.ts writes by hand, hn/cn into h/c.
    const runner = await formatOf(vad).runner(vad);
    const b = readFileSync(`${FIXTURES}/speech-16k.f32`);
    const audio = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    let h: HostTensor = { data: new Float32Array(128), dims: [2, 1, 64] };
    let c: HostTensor = { data: new Float32Array(128), dims: [2, 1, 64] };
    for (let i = 0; i < 16; i++) {
      const { outputs } = await runner.run({ input: { data: audio.slice(i * 1536, (i + 1) * 1536), dims: [1, 1536] }, sr: { data: BigInt64Array.of(16000n), dims: [] }, h, c });
      expect(outputs.output!.data[0]).toBe(fed[i]!.output![0]);
      h = outputs.hn!; c = outputs.cn!;
    }
    await runner.dispose();
  });

  it('compress --quantize dynamic: measured over the stream against the original, same speech decisions, per-frame state cosine ≥ 0.95', async () => {
    const out = path.join(dir, 'vad-dynamic.onnx');
    const { measurement, report } = await compress(VAD, out, { quantize: 'dynamic', data: frames, inputs: { values: { sr: '16000' } } });
    expect(measurement.samples).toBe(16);
    expect(measurement.streamed?.state).toEqual({ h: 'hn', c: 'cn' });
    expect(report.notes).toContain('Fidelity: state fed back frame by frame (h ← hn, c ← cn); --state sets other pairs or none.');
    expect(report.notes.join('\n')).toMatch(/input 'input' \[\?, \?\]: free dims set from .*frames\.npy \[16, 1536\]/);
    // The worst output over the stream (the LSTM cell state cn, int8 weights): 0.980 on this run.
    expect(measurement.cosine).toBeGreaterThan(0.97);
    const [a, b] = [await stream(await loadModel(VAD), true), await stream(await loadModel(out), true)];
    expect(speech(b)).toEqual(speech(a));
    expect(Math.max(...a.map((f, i) => Math.abs(f.output![0]! - b[i]!.output![0]!)))).toBeLessThan(0.1);
    for (const [i, f] of a.entries()) {
      const g = b[i]!.hn!;
      let dot = 0; let na = 0; let nb = 0;
      f.hn!.forEach((x, k) => { dot += x * g[k]!; na += x * x; nb += g[k]! * g[k]!; });
      expect(dot / Math.sqrt(na * nb)).toBeGreaterThan(0.95);
    }
  });
});

describe('the CLI: several --data sources, image folders, bad input', () => {
  // y = a·Wa + b·Wb: two data inputs, each from its own .npy.
  const b = new GraphBuilder('two');
  const a = b.input('a', ['N', 8]);
  const x = b.input('b', ['N', 4]);
  const wa = b.initializer('wa', [8, 16], randomValues(128, 3, 0.5));
  const wb = b.initializer('wb', [4, 16], randomValues(64, 4, 0.5));
  b.node('Add', [b.op('MatMul', [a, wa]), b.op('MatMul', [x, wb])], { outputs: ['y'] });
  b.output('y', ['N', 16]);
  const two = path.join(dir, 'two.onnx');
  writeFileSync(two, encodeOnnx(b.model()));
  const npy = (name: string, shape: number[], seed: number) => writeNpy(path.join(dir, name), shape, Array.from(randomValues(shape.reduce((p, q) => p * q, 1), seed)), '<f4');

  it('compress and eval take --data name=file.npy once per input', async () => {
    const [da, db] = [npy('a.npy', [12, 8], 5), npy('b.npy', [12, 4], 6)];
    const out = path.join(dir, 'two-int8.onnx');
    const r = await runCli('compress', two, '--out', out, '--quantize', 'dynamic', '--data', `a=${da}`, '--data', `b=${db}`, '--no-latency', '--json');
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.samples).toBe(12);
    expect(m.cosine).toBeGreaterThan(0.99);
    const e = await runCli('eval', out, '--reference', two, '--data', `a=${da}`, '--data', `b=${db}`, '--no-latency', '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).cosine).toBeCloseTo(m.cosine, 6);
  });

  it('an image folder feeds an NCHW ONNX classifier at --input-shape, scaled by --input-range', async () => {
    const out = path.join(dir, 'cls-static.onnx');
    const r = await runCli('compress', CLS, '--out', out, '--quantize', 'static', '--data', PHOTOS, '--input-shape', 'x=1,3,48,192', '--input-range', '-1,1', '--no-latency', '--json');
    expect(r.stderr).not.toMatch(/error/);
    const m = JSON.parse(r.stdout);
    expect(m.samples).toBe(2);
    expect(m.agreement).toBe(1);
    expect(m.cosine).toBeGreaterThan(0.99);
  });

  const BAD: [string, () => string[], RegExp][] = [
    ['a --data for an input the model lacks', () => ['--data', `a=${npy('a2.npy', [3, 8], 1)}`, '--data', `mask=${npy('m2.npy', [3, 4], 2)}`], /--data names input 'mask', which the model does not have \(inputs: a, b\)/],
    ['a .npy of the wrong shape', () => ['--data', `a=${npy('a3.npy', [3, 8], 1)}`, '--data', `b=${npy('b3.npy', [3, 5], 2)}`], /b3\.npy: shape \[3, 5\] does not fit input 'b' of .*two\.onnx, which takes \[N, 4\]/],
    ['an --input for a name the model lacks', () => ['--data', `a=${npy('a4.npy', [3, 8], 1)}`, '--data', `b=${npy('b4.npy', [3, 4], 2)}`, '--input', 'sr=16000'], /--input names input 'sr', which the model does not have/],
    ['an --input-range that is not lo,hi', () => ['--data', PHOTOS, '--input-range', '0-255'], /--input-range 0-255: expected lo,hi such as 0,1 or 0,255 or -1,1/],
    ['a --state naming no output', () => ['--data', `a=${npy('a5.npy', [3, 8], 1)}`, '--data', `b=${npy('b5.npy', [3, 4], 2)}`, '--state', 'a'], /--state a: expected input=output/],
  ];
  it.each(BAD)('refuses %s: one line, exit 2, nothing written', async (_name, args, message) => {
    const out = path.join(dir, 'bad.onnx');
    const r = await runCli('compress', two, '--out', out, '--quantize', 'dynamic', ...args());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').filter((l) => /error/.test(l))).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(path.join(dir, 'bad.lineage.json'))).toBe(false);
  });

  it('images of several sizes for free height/width: one line saying which --input-shape to give, nothing written', async () => {
    const out = path.join(dir, 'cls-bad.onnx');
    const r = await runCli('compress', CLS, '--out', out, '--quantize', 'static', '--data', PHOTOS);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/photos: images of 2 sizes \(.*chelsea\.png 451×300, .*rocket\.jpg 640×427\) and input 'x' \[\?, 3, \?, \?\] has a free height\/width; give it with --input-shape x=1,3,H,W/);
    expect(existsSync(out)).toBe(false);
  });
});
