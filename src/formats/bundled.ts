import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The reference models shipped in the package's models/ folder (listed in models/manifest.json). The CLI accepts
 * their names where a model path goes — `shrinkml eval mnist-lenet5 --data mnist` — so the examples in `--help`
 * run from an installed package, not only from a clone. A path that exists always wins over a name.
 */
// The package root is three folders up from dist/src/formats/, two from src/formats/ (tests run the sources).
const modelsDir = ['../../../models/', '../../models/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((dir) => existsSync(`${dir}manifest.json`)) ?? '';

export function resolveBundledModel(source: string): string {
  if (!modelsDir || !/^[a-z0-9][a-z0-9-]*$/.test(source) || existsSync(source)) return source;
  const bundled = `${modelsDir}${source}`;
  return existsSync(`${bundled}/model.json`) ? bundled : source;
}
