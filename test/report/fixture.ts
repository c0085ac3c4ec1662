import type { CompressReport } from '../../src/report/index.js';
import type { TrialRecord } from '../../src/pipeline/index.js';

const criteria = (drop: number) => [
  { criterion: 'gzip<=30KB', metric: 'gzip' as const, op: '<=' as const, target: 30000, measured: 24000, pass: true, margin: 6000 },
  { criterion: 'drop<=0.3%', metric: 'drop' as const, op: '<=' as const, target: 0.3, measured: drop, pass: drop <= 0.3, margin: 0.3 - drop },
];

function trial(id: number, gzip: number, acc: number, drop: number, levels: Record<string, number>): TrialRecord {
  const check = { pass: drop <= 0.3, criteria: criteria(drop) };
  return {
    id, config: { version: 1, seed: 1, steps: [] }, levels, reason: id === 0 ? 'most aggressive candidate' : `relax fc${id} <b>`, pass: check.pass, shortfall: check.pass ? 0 : (drop - 0.3) / 0.3,
    split: 'validation', seconds: 12, steps: [],
    metrics: { params: 1000, nonzeroParams: 100, sparsity: 0.9, bytes: gzip * 1.6, gzipBytes: gzip, accuracy: acc, referenceAccuracy: 0.983, drop, p50Ms: 0.2, p95Ms: 0.3 },
    budget: check,
  };
}

/** A hand-made report: three trials, the last one passing, a layer name that needs escaping. */
export function sampleReport(): CompressReport {
  const trials = [trial(0, 18000, 0.975, 0.8, {}), trial(1, 21000, 0.979, 0.4, { fc3: 1 }), trial(2, 24000, 0.981, 0.2, { fc3: 2 })];
  return {
    kind: 'compress', shrinkml: '0.1.0', tfjs: '4.22.0', backend: 'wasm', createdAt: '2026-11-27T00:00:00.000Z',
    input: { path: '/models/lenet/model.json', hash: 'sha256:abc', metrics: { params: 266610, nonzeroParams: 266610, sparsity: 0, bytes: 1068419, gzipBytes: 986278, accuracy: 0.982, p50Ms: 0.3, p95Ms: 0.4 } },
    output: { path: '/out/model.json', weightsHash: 'sha256:def', metrics: { params: 266610, nonzeroParams: 21000, sparsity: 0.92, bytes: 40000, gzipBytes: 24100, accuracy: 0.98, referenceAccuracy: 0.982, drop: 0.2, p50Ms: 0.3, p95Ms: 0.4 } },
    evaluation: { data: 'mnist', split: 'test', samples: 10000 },
    pipeline: { version: 1, seed: 1, steps: [{ step: 'prune', options: { method: 'magnitude:0.95:global' } }, { step: 'cluster', options: { clusters: 16 } }] },
    levels: { fc3: 2 },
    steps: [{ step: 'prune', options: { method: 'magnitude:0.95:global' }, seed: 11, seconds: 60, summary: {} }, { step: 'cluster', options: { clusters: 16 }, seed: 12, seconds: 30, summary: {} }],
    budget: { text: 'gzip<=30KB,drop<=0.3%', check: { pass: true, criteria: criteria(0.2) }, pass: true, closest: false, message: 'met on the test split by trial 2 of 3' },
    search: { stopReason: 'budget met', seconds: 300, maxTrials: 8, timeoutSeconds: 420, chosen: 2, sensitivity: [], resumedTrials: 0 },
    trials,
    layers: [
      { name: 'fc1<script>', class: 'Dense', params: 235500, nonzeroParams: 11000, sparsity: 0.953, weightBits: 4, level: 0 },
      { name: 'fc3', class: 'Dense', params: 1010, nonzeroParams: 1010, sparsity: 0, weightBits: 32, level: 2 },
    ],
    notes: ['Unstructured sparsity shrinks the gzip size only.'],
  };
}
