import * as tf from '@tensorflow/tfjs-core';
import { QcbError } from '../errors.js';
import { loadNativeTensorflow, type NativeLoadFailure } from './native-tensorflow.js';
import { guardWasmMalloc } from './memory/wasm-heap.js';
import { registerReductionGradients } from './gradients/reduction-gradients.js';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** The active tfjs backend name, e.g. 'tensorflow', 'wasm', 'cpu'. */
  name: string;
  requested: BackendChoice;
  gpu: boolean;
}

const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export function isValidBackendChoice(s: string): s is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(s);
}

/**
 * Activates a tfjs backend. 'auto' prefers native TensorFlow (GPU, then CPU),
 * then wasm, then the plain JS cpu backend. Safe to call repeatedly.
 */
export async function initBackend(choice: BackendChoice): Promise<BackendInfo> {
  if (!isValidBackendChoice(choice)) {
    throw new QcbError('E_BACKEND', `Unknown backend '${String(choice)}'; valid backends are: ${BACKEND_CHOICES.join(', ')}.`);
  }
  registerReductionGradients();
  switch (choice) {
    case 'cpu':
      await activateCpu();
      return { name: tf.getBackend(), requested: choice, gpu: false };
    case 'wasm': {
      const failure = await tryActivateWasm();
      if (failure !== undefined) {
        throw new QcbError('E_BACKEND', `The 'wasm' backend failed to initialize: ${failure}`);
      }
      return { name: tf.getBackend(), requested: choice, gpu: false };
    }
    case 'tensorflow': {
      const gpu = await activateNative();
      return { name: tf.getBackend(), requested: choice, gpu };
    }
    case 'auto': {
      const native = loadNativeTensorflow();
      if (native.loaded !== null && (await tf.setBackend('tensorflow'))) {
        return { name: tf.getBackend(), requested: choice, gpu: native.loaded.gpu };
      }
      if ((await tryActivateWasm()) !== undefined) {
        await activateCpu();
      }
      return { name: tf.getBackend(), requested: choice, gpu: false };
    }
  }
}

async function activateCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend('cpu'))) {
    throw new QcbError('E_BACKEND', "The 'cpu' backend failed to initialize.");
  }
  await tf.ready();
}

/** Returns why wasm could not be activated, or undefined on success. */
async function tryActivateWasm(): Promise<string | undefined> {
  try {
    const { registerWasmTrainingKernels } = await import('./wasm-kernels/register.js');
    if (!(await tf.setBackend('wasm'))) {
      return 'tf.setBackend("wasm") returned false (tfjs logs the cause as a warning).';
    }
    await tf.ready();
    registerWasmTrainingKernels();
    // A failed allocation throws instead of corrupting the heap (memory/wasm-heap.ts).
    guardWasmMalloc();
    return undefined;
  } catch (error) {
    return firstLine(error);
  }
}

async function activateNative(): Promise<boolean> {
  const native = loadNativeTensorflow();
  if (native.loaded === null) {
    throw new QcbError('E_BACKEND', nativeMissingMessage(native.failures), { cause: native.failures[0]?.error });
  }
  if (!(await tf.setBackend('tensorflow'))) {
    throw new QcbError('E_BACKEND', `${native.loaded.name} loaded but the 'tensorflow' backend failed to initialize.`);
  }
  await tf.ready();
  return native.loaded.gpu;
}

function nativeMissingMessage(failures: readonly NativeLoadFailure[]): string {
  const install =
    "Backend 'tensorflow' needs @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node: " +
    'install one with `npm install @tensorflow/tfjs-node-gpu` or `npm install @tensorflow/tfjs-node`, ' +
    "or pick 'wasm' or 'cpu'.";
  if (failures.length === 0) {
    return install;
  }
  const reasons = failures.map((f) => `${f.name}: ${firstLine(f.error)}`).join('; ');
  return `${install} Found but failed to load: ${reasons}.`;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0];
}
