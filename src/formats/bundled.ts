import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The reference models shipped in the package's models/ folder (listed in models/manifest.json). The CLI accepts
 * their names where a model path goes — `shrinkml eval mnist-lenet5 --data mnist` — so the examples in `--help`
 * run from an installed package, not only from a clone. A path that exists always wins over a name.
 */
const modelsDir = fileURLToPath(new URL('../../../models/', import.meta.url));

export function resolveBundledModel(source: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(source) || existsSync(source)) return source;
  const bundled = `${modelsDir}${source}`;
  return existsSync(`${bundled}/model.json`) ? bundled : source;
}
