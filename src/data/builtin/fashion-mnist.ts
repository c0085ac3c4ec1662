import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ShrinkmlError } from '../../core/errors.js';
import { loadIdxPair } from '../idx-pair.js';
import type { BuiltinDataset } from '../types.js';

/** Where Debian's `dataset-fashion-mnist` package installs the gzipped IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const fashionMnist: BuiltinDataset = {
  name: 'fashion-mnist',
  description: 'Fashion-MNIST clothing images, 28×28 grayscale, 60,000 train / 10,000 test (Debian package dataset-fashion-mnist)',
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  async load() {
    const dir = FASHION_MNIST_DIR;
    const file = (name: string) => join(dir, `${name}-ubyte.gz`);
    const needed = ['train-images-idx3', 'train-labels-idx1', 't10k-images-idx3', 't10k-labels-idx1'].map(file);
    const missing = needed.find((f) => !existsSync(f));
    if (missing) {
      throw new ShrinkmlError('NOT_FOUND', `fashion-mnist: ${missing} not found (Debian package dataset-fashion-mnist is not installed)`, {
        subject: 'fashion-mnist',
        suggestion: 'apt-get install dataset-fashion-mnist, or pass --data <folder with the Fashion-MNIST IDX files>',
      });
    }
    const [train, test] = await Promise.all([
      loadIdxPair(needed[0]!, needed[1]!),
      loadIdxPair(needed[2]!, needed[3]!),
    ]);
    return { kind: 'split', train, test, classes: 10, classNames: this.classNames };
  },
};
