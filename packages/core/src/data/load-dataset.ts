import { QcbError } from '../errors.js';
import { loadCifar10 } from './cifar10.js';
import { FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';
import { loadImageFolder } from './image-folder.js';
import type { Dataset } from './image-set.js';
import { syntheticDataset } from './synthetic.js';

export interface LoadDatasetOptions {
  /** The dataset's folder (required for cifar10 and a bare 'folder'). */
  dataDir?: string;
  /** Seeds the folder split and synthetic data; default 0. */
  seed?: number;
}

export const DATASET_SPECS: readonly string[] = ['fashion-mnist', 'cifar10', 'folder:<path>', 'synthetic[:<classes>]'];

function usage(message: string): QcbError {
  return new QcbError('E_USAGE', `${message}; valid datasets: ${DATASET_SPECS.join(', ')}`);
}

/** Loads a dataset named by a spec such as 'fashion-mnist', 'cifar10', 'folder:<path>' or 'synthetic:10'. */
export async function loadDataset(spec: string, options: LoadDatasetOptions = {}): Promise<Dataset> {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const arg = colon < 0 ? undefined : spec.slice(colon + 1);
  const { dataDir, seed } = options;
  switch (name) {
    case 'fashion-mnist':
      if (arg !== undefined) throw usage(`dataset "${spec}" takes no argument (use --data-dir for its folder)`);
      return loadFashionMnist(dataDir ?? FASHION_MNIST_DIR);
    case 'cifar10':
      if (arg !== undefined) throw usage(`dataset "${spec}" takes no argument (use --data-dir for its folder)`);
      if (dataDir === undefined) {
        throw new QcbError('E_USAGE', 'dataset cifar10 needs --data-dir pointing at the folder with data_batch_1.bin..test_batch.bin (or cifar-10-batches-bin)');
      }
      return loadCifar10(dataDir);
    case 'folder': {
      const dir = arg || dataDir;
      if (dir === undefined) throw new QcbError('E_USAGE', 'dataset folder needs a path: use folder:<path> or --data-dir <path>');
      return loadImageFolder(dir, { seed });
    }
    case 'synthetic': {
      const classes = arg === undefined ? undefined : Number(arg);
      if (classes !== undefined && !(Number.isInteger(classes) && classes >= 1)) {
        throw usage(`dataset "${spec}" needs a positive integer class count after "synthetic:"`);
      }
      return syntheticDataset({ classes, seed });
    }
    default:
      throw usage(`unknown dataset "${spec}"`);
  }
}
