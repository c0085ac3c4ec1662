import * as tf from '@tensorflow/tfjs';
import { promises as fsp, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImageFolder } from '../../src/data/images.js';
import { graphWeightBits, readGraphFiles, rewriteGraph, writeGraphFolder, type GraphFiles, type GraphWeightMode } from '../../src/formats/graph/index.js';
import { KERNEL_WIDTHS, widthOf } from '../../src/formats/graph/bits.js';
import { qmaxOf } from '../../src/formats/graph/quantize.js';
import { withWeightCodeDecoding } from '../../src/formats/weight-codes.js';
import { pruneGraphWeights } from '../../src/prune/graph-weights.js';
import { clusterGraphWeights } from '../../src/cluster/graph-weights.js';
import { compressLayersWeights } from '../../src/quantize/layers-weights.js';
import { selectBackend } from '../../src/backends/index.js';
import { makeTmpDir, removeTmpDir, tempLeftovers } from '../fixtures/tmp.js';

/**
 * Real models (test/fixtures/real/README.md): Human's emotion classifier (GraphModel, depthwise convs) and the
 * UpscalerJS ESRGAN (LayersModel, free input dims), on seeded crops of two real photos. Every mode is written,
 * loaded back through STOCK tf.loadGraphModel / tf.loadLayersModel (a handler that serves the files as a web
 * server would) and compared with the model as shipped.
 */
const FIXTURES = path.resolve('test/fixtures/real');
const PHOTOS = path.join(FIXTURES, 'photos');
let tmp: string;
let written = 0;

beforeAll(async () => {
  // wasm: the cpu backend takes ~15 s per pass of these convnets on a loaded 2-core box.
  await selectBackend({ backend: 'wasm' });
  tmp = await makeTmpDir();
});
afterAll(() => removeTmpDir(tmp));

function stock(jsonPath: string): tf.io.IOHandler {
  return {
    load: async () => tf.io.getModelArtifactsForJSON(JSON.parse(readFileSync(jsonPath, 'utf8')), async (manifest) => {
      const parts = manifest.flatMap((g) => g.paths.map((p) => new Uint8Array(readFileSync(path.join(path.dirname(jsonPath), p)))));
      return [manifest.flatMap((g) => g.weights), tf.io.concatenateArrayBuffers(parts.map((p) => p.slice().buffer))];
    }),
  };
}

const argmax = (row: Float32Array | number[]) => row.reduce((best, v, i, a) => (v > a[best]! ? i : best), 0);
function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i]! * b[i]!; na += a[i]! * a[i]!; nb += b[i]! * b[i]!; }
  return dot / Math.sqrt(na * nb);
}
function psnr(ref: Float32Array, got: Float32Array): number {
  let se = 0, peak = 0;
  for (let i = 0; i < ref.length; i++) { se += (ref[i]! - got[i]!) ** 2; peak = Math.max(peak, Math.abs(ref[i]!)); }
  return 10 * Math.log10((peak * peak) / (se / ref.length));
}

describe('GraphModel with depthwise convs (human emotion), every weight mode through stock tf.loadGraphModel', () => {
  let graph: GraphFiles;
  let x: tf.Tensor4D;
  let reference: Float32Array;
  const params = 205_127;
  beforeAll(async () => {
    graph = await readGraphFiles(path.join(FIXTURES, 'emotion/emotion.json'));
    const data = await loadImageFolder({ dir: PHOTOS, height: 64, width: 64, channels: 1, layout: 'NHWC', range: [-1, 1], seed: 3, cropsPerImage: 12 });
    x = tf.tensor4d(data.x, [data.count, 64, 64, 1]);
    const model = await tf.loadGraphModel(stock(graph.descriptorPath));
    reference = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    model.dispose();
  });

  type Trip = { out: Float32Array; ratio: number; gzipRatio: number; rows: ReturnType<typeof rewriteGraph>['rows']; rewritten: ReturnType<typeof rewriteGraph>; modelJsonPath: string };
  const trips = new Map<GraphWeightMode, Promise<Trip>>();
  const roundTrip = (mode: GraphWeightMode) => trips.get(mode) ?? trips.set(mode, write(mode)).get(mode)!;
  async function write(mode: GraphWeightMode, edit?: (g: GraphFiles) => unknown): Promise<Trip> {
    const weights = graph.weights.map((w) => ({ ...w }));
    await edit?.({ ...graph, weights });
    const rewritten = rewriteGraph({ json: graph.json, weights, roles: graph.roles, mode, file: graph.file });
    const saved = await writeGraphFolder({ out: path.join(tmp, `emotion-${mode}-${++written}`), graph: rewritten });
    const model = await tf.loadGraphModel(stock(saved.modelJsonPath));
    const out = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    model.dispose();
    // As a web server sends it: model.json and the shard, each gzip -9.
    const gzipped = [saved.modelJsonPath, ...saved.weightFiles].reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).byteLength, 0);
    return { out, ratio: (params * 4) / saved.weightBytes, gzipRatio: (params * 4) / gzipped, rows: rewritten.rows, rewritten, modelJsonPath: saved.modelJsonPath };
  }

  function agreement(out: Float32Array): number {
    let same = 0;
    const rows = x.shape[0];
    for (let r = 0; r < rows; r++) if (argmax(out.subarray(r * 7, r * 7 + 7)) === argmax(reference.subarray(r * 7, r * 7 + 7))) same++;
    return same / rows;
  }

  // Bounds measured on these 24 crops (wasm). #14's targets: int8 ≥ 99.5% agreement (here 23 of 24 crops: the one
  // flip is a crop whose top two classes are 0.02 apart; cosine 0.9995, PSNR 42 dB); int4 ≥ 6× gzip (met) with ≥ 99%
  // agreement (not met data-free: 87.5%, cosine 0.988, PSNR 27.3 dB at 6.02× with the per-channel grid of widths;
  // 87.5%, cosine 0.988, PSNR 27.9 dB at 6.05× with the 4/5/6/8-bit widths; 83%, cosine 0.970
  // with {4-bit blocks, int8} — bench/results/real-models.md "Targets" says why).
  it.each([
    ['float16', 1.99, 0, 60, 1, 0.99999],
    ['uint8', 3.99, 0, 28, 0.8, 0.99],
    ['int8', 3.9, 4, 40, 0.95, 0.999],
    ['int4', 3.85, 6, 26, 0.85, 0.985],
  ] as const)('weights:%s loads in stock tfjs: ratio ≥ %s, gzip ratio ≥ %s, PSNR ≥ %s dB, top-1 agreement ≥ %s, cosine ≥ %s', async (mode, ratio, gzipRatio, minPsnr, minAgreement, minCosine) => {
    const r = await roundTrip(mode);
    expect(r.ratio).toBeGreaterThanOrEqual(ratio);
    expect(r.gzipRatio).toBeGreaterThanOrEqual(gzipRatio);
    expect(psnr(reference, r.out)).toBeGreaterThanOrEqual(minPsnr);
    expect(agreement(r.out)).toBeGreaterThanOrEqual(minAgreement);
    expect(cosine(reference, r.out)).toBeGreaterThanOrEqual(minCosine);
  });

  it('per-channel int8 is closer to the original than the converter\'s per-tensor uint8 at the same size', async () => {
    const [u8, i8] = await Promise.all([roundTrip('uint8'), roundTrip('int8')]);
    expect(psnr(reference, i8.out)).toBeGreaterThan(psnr(reference, u8.out) + 6);
    expect(agreement(i8.out)).toBeGreaterThanOrEqual(agreement(u8.out));
  });

  it('int8 keeps every kernel per channel (depthwise too) and reports 8 bits for each', async () => {
    const { rows } = await roundTrip('int8');
    const kernels = rows.filter((r) => r.role !== 'other');
    expect(kernels.length).toBe(13);
    expect(kernels.every((r) => r.bits === 8 && r.scheme === 'int8-channel')).toBe(true);
    expect(rows.filter((r) => r.role === 'depthwise').length).toBe(4);
  });

  // Data-free widths chosen on this model (estimated gzip ≥ 6 × 1.03): stem int8, head ±63 per channel, depthwise
  // kernels int8 or ±47/±63, the 1×1/3×3 convs 4.58–6 bits per channel (per-channel grids beat 4-bit blocks of 32
  // per gzip byte: the blocks' float16 scales cost ≈ ½ bit per value), ~4.1–5.8 bits per value after entropy coding.
  it('int4\'s bit choice: every kernel gets a width of KERNEL_WIDTHS; stem, head and depthwise kernels ≥ 6 bits; most parameters < 5 bits of code entropy; the manifest says each byte range', async () => {
    const { rows, rewritten: written } = await roundTrip('int4');
    const kernels = rows.filter((r) => r.role !== 'other');
    expect(kernels.length).toBe(13);
    const allowed = new Set(KERNEL_WIDTHS.map((k) => widthOf(k).bits));
    expect(kernels.every((r) => allowed.has(r.bits))).toBe(true);
    expect(kernels.filter((r) => r.bits !== 4 || r.scheme !== 'int4-block').every((r) => /bit choice/.test(r.note ?? ''))).toBe(true);
    const bitsOf = (name: string) => kernels.find((r) => r.name === name)!.bits;
    expect(bitsOf('StatefulPartitionedCall/model_1/conv2d_1/Conv2D_weights')).toBe(8);
    expect(bitsOf('unknown_43')).toBeGreaterThanOrEqual(6);
    expect(rows.filter((r) => r.role === 'depthwise').every((r) => r.bits >= 6)).toBe(true);
    // entropyBits: what gzip charges per value (codes' entropy + scales), below the nominal width where codes are peaked.
    const cheap = kernels.filter((r) => r.entropyBits! < 5).reduce((n, r) => n + r.params, 0);
    expect(cheap / kernels.reduce((n, r) => n + r.params, 0)).toBeGreaterThan(0.75);
    for (const r of kernels.filter((k) => k.bits < 8)) expect(r.entropyBits!, r.name).toBeLessThan(r.bits + (r.role === 'depthwise' ? 2 : 0.2));
    expect(new Set(kernels.map((r) => r.bits)).size).toBeGreaterThanOrEqual(5);
    // graphWeightBits reads the written manifest (what inspect/eval list): the codes entry of each kernel has its
    // byte range (4, 5, 6, 7 or 8 bits), the whole width at or above the grid.
    const manifest = graphWeightBits(written.json.weightsManifest[0]!.weights);
    for (const r of kernels) expect(manifest[`${r.name}/shrinkml_q`], r.name).toBe(Math.ceil(r.bits));
  });

  it('int4 widths through stock tf.loadGraphModel: each kernel the graph computes with (its Mul/Reshape output) equals the writer\'s dequantization bit for bit at every width; codes within the width\'s grid ±qmax', async () => {
    const { rewritten, modelJsonPath } = await roundTrip('int4');
    const model = await tf.loadGraphModel(stock(modelJsonPath));
    try {
      const kernels = rewritten.rows.filter((r) => r.role !== 'other');
      const computed = model.execute({ [model.inputs[0]!.name]: x.slice(0, 1) }, kernels.map((r) => r.name)) as tf.Tensor[];
      const seen = new Set<number>();
      kernels.forEach((r, i) => {
        const got = computed[i]!.dataSync() as Float32Array;
        const want = rewritten.values.get(r.name)!;
        expect(got.length).toBe(want.length);
        let mismatches = 0;
        for (let k = 0; k < want.length; k++) if (got[k] !== want[k]) mismatches++;
        expect(mismatches, r.name).toBe(0);
        const codes = model.weights[`${r.name}/shrinkml_q`]![0]!.dataSync();
        const qmax = qmaxOf(r.bits);
        expect(codes.every((c) => Number.isInteger(c) && Math.abs(c) <= qmax), r.name).toBe(true);
        // The width is used: some code beyond int4's ±7.
        if (r.bits > 4) expect(codes.some((c) => Math.abs(c) > 7), r.name).toBe(true);
        seen.add(r.bits);
      });
      expect(seen.size).toBeGreaterThanOrEqual(5);
      tf.dispose(computed);
    } finally {
      model.dispose();
    }
  });

  it('magnitude 50% + int8: half the kernel weights are exact zeros after the stock load, and gzip sees them', async () => {
    const r = await write('int8', (g) => pruneGraphWeights({ weights: g.weights, roles: g.roles, spec: { kind: 'magnitude', sparsity: 0.5, scope: 'layer', criterion: 'l1' } }));
    for (const row of r.rows.filter((w) => w.role !== 'other')) expect(row.sparsity).toBeGreaterThanOrEqual(0.49);
    expect(cosine(reference, r.out)).toBeGreaterThan(0.5);
  });

  it('clustering to 16 values: every kernel holds at most 16 distinct values once loaded', async () => {
    const weights = graph.weights.map((w) => ({ ...w }));
    const distinct = clusterGraphWeights({ weights, roles: graph.roles, clusters: 16 });
    expect([...distinct.values()].every((k) => k <= 16)).toBe(true);
    const rewritten = rewriteGraph({ json: graph.json, weights, roles: graph.roles, mode: 'float32', file: graph.file });
    for (const row of rewritten.rows.filter((w) => w.role !== 'other')) expect(new Set(rewritten.values.get(row.name)).size).toBeLessThanOrEqual(16);
  });

  it('a graph without a format field is still a graph model; its weights are refused when held by a non-Const node', async () => {
    const json = JSON.parse(readFileSync(graph.descriptorPath, 'utf8'));
    delete json.format;
    const node = json.modelTopology.node.find((n: { name: string }) => n.name === graph.weights[0]!.name);
    node.op = 'VarHandleOp';
    const dir = path.join(tmp, 'bad-graph');
    await fsp.mkdir(dir);
    await fsp.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    await fsp.copyFile(path.join(FIXTURES, 'emotion/emotion.bin'), path.join(dir, 'emotion.bin'));
    await expect(readGraphFiles(dir)).rejects.toThrow(/weight '.+' is held by node '.+' \(op VarHandleOp\), which cannot be rewritten/);
  });
});

describe('LayersModel with free input dims (UpscalerJS ESRGAN): the four weight modes, no input shape or data needed', () => {
  let x: tf.Tensor4D;
  let reference: Float32Array;
  beforeAll(async () => {
    const data = await loadImageFolder({ dir: PHOTOS, height: 24, width: 24, channels: 3, layout: 'NHWC', range: [0, 255], seed: 5, cropsPerImage: 2 });
    x = tf.tensor4d(data.x, [data.count, 24, 24, 3]);
    const model = await tf.loadLayersModel(stock(path.join(FIXTURES, 'upscaler/model.json')));
    expect(model.inputs[0]!.shape).toEqual([null, null, null, 3]);
    reference = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    model.dispose();
  });

  // #14's targets for an image output: int8 cosine ≥ 0.999 at ≥ 3.9×, int4 cosine ≥ 0.995 at ≥ 6× gzip (both met).
  it.each([
    ['float16', false, 70, 1.99, 0, 0.99999],
    ['uint8', false, 45, 3.97, 0, 0.9999],
    ['int8', true, 45, 3.97, 4, 0.999],
    ['int4', true, 30, 3.7, 6, 0.995],
  ] as const)('weights:%s (runtime decoder: %s): PSNR ≥ %s dB, ratio ≥ %s, gzip ratio ≥ %s, cosine ≥ %s', async (mode, runtime, minPsnr, minRatio, minGzip, minCosine) => {
    const out = path.join(tmp, `upscaler-${mode}`);
    const r = await compressLayersWeights({ source: path.join(FIXTURES, 'upscaler'), out, mode });
    expect((r.params * 4) / r.weightBytes).toBeGreaterThanOrEqual(minRatio);
    const gzipped = [r.modelJsonPath, ...r.weightFiles].reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).byteLength, 0);
    expect((r.params * 4) / gzipped).toBeGreaterThanOrEqual(minGzip);
    const handler = stock(r.modelJsonPath);
    if (runtime) await expect(tf.loadLayersModel(handler)).rejects.toThrow();
    const model = await tf.loadLayersModel(runtime ? withWeightCodeDecoding(handler) : handler);
    const got = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    model.dispose();
    expect(psnr(reference, got)).toBeGreaterThanOrEqual(minPsnr);
    expect(cosine(reference, got)).toBeGreaterThanOrEqual(minCosine);
    expect(await tempLeftovers(tmp)).toEqual([]);
  });
});

describe('image folders', () => {
  it('decodes JPEG and PNG, resizes, lays out NCHW and scales; same seed, same samples', async () => {
    const o = { dir: PHOTOS, height: 8, width: 8, channels: 3 as const, layout: 'NCHW' as const, range: [-1, 1] as [number, number], seed: 1, cropsPerImage: 3 };
    const a = await loadImageFolder(o);
    const b = await loadImageFolder(o);
    expect(a.count).toBe(6);
    expect(a.sampleShape).toEqual([3, 8, 8]);
    expect(a.x).toEqual(b.x);
    expect(Math.min(...a.x)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a.x)).toBeLessThanOrEqual(1);
    expect(a.labels).toBeUndefined();
  });

  it('subfolders are classes (labelled data)', async () => {
    const dir = path.join(tmp, 'labelled');
    for (const [cls, file] of [['cat', 'chelsea.png'], ['rocket', 'rocket.jpg']]) {
      await fsp.mkdir(path.join(dir, cls!), { recursive: true });
      await fsp.copyFile(path.join(PHOTOS, file!), path.join(dir, cls!, file!));
    }
    const d = await loadImageFolder({ dir, height: 4, width: 4, channels: 1, layout: 'NHWC' });
    expect(d.classNames).toEqual(['cat', 'rocket']);
    expect([...d.labels!].sort()).toEqual([0, 1]);
  });

  it.each([
    ['an undecodable image', async (dir: string) => fsp.writeFile(path.join(dir, 'broken.jpg'), 'not a jpeg'), /broken\.jpg: cannot decode the image/],
    ['a folder with no images', async (dir: string) => fsp.writeFile(path.join(dir, 'notes.txt'), 'hello'), /no images/],
  ])('%s: one error naming the file', async (_, make, message) => {
    const dir = await fsp.mkdtemp(path.join(tmp, 'imgs-'));
    await make(dir);
    await expect(loadImageFolder({ dir, height: 4, width: 4, channels: 3, layout: 'NHWC' })).rejects.toThrow(message);
  });
});
