import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend, isValidBackendChoice, type BackendChoice } from './backend.js';
import { NATIVE_PACKAGES, resolveFromProjectOrHere } from './native-tensorflow.js';

// These expectations describe a machine without tfjs-node(-gpu), like CI here.
const nativeInstalled = NATIVE_PACKAGES.some((pkg) => resolveFromProjectOrHere(pkg.name) !== undefined);

describe('initBackend', () => {
  it("'wasm' activates wasm with the training kernels", async () => {
    await expect(initBackend('wasm')).resolves.toEqual({ name: 'wasm', requested: 'wasm', gpu: false });
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBeDefined();
  });

  it("'cpu' activates cpu", async () => {
    await expect(initBackend('cpu')).resolves.toEqual({ name: 'cpu', requested: 'cpu', gpu: false });
    expect(tf.getBackend()).toBe('cpu');
  });

  it.skipIf(nativeInstalled)("'tensorflow' rejects with install instructions when no native binding is installed", async () => {
    const error = await initBackend('tensorflow').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/@tensorflow\/tfjs-node-gpu/);
    expect(message).toMatch(/npm install @tensorflow\/tfjs-node/);
  });

  it.skipIf(nativeInstalled)("'auto' falls back to wasm without a native binding", async () => {
    await initBackend('cpu');
    await expect(initBackend('auto')).resolves.toEqual({ name: 'wasm', requested: 'auto', gpu: false });
  });

  it('is safe to call repeatedly', async () => {
    await initBackend('wasm');
    const kernel = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
    await initBackend('wasm');
    await initBackend('wasm');
    expect(tf.getKernel(tf.Conv2DBackpropInput, 'wasm')).toBe(kernel);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown choice, naming it and the valid ones', async () => {
    await expect(initBackend('webgpu' as BackendChoice)).rejects.toThrow(
      "Unknown backend 'webgpu'; valid backends are: auto, tensorflow, wasm, cpu.",
    );
  });
});

describe('isValidBackendChoice', () => {
  it('accepts exactly the four choices', () => {
    expect(['auto', 'tensorflow', 'wasm', 'cpu'].every(isValidBackendChoice)).toBe(true);
    expect(isValidBackendChoice('webgl')).toBe(false);
    expect(isValidBackendChoice('')).toBe(false);
  });
});
