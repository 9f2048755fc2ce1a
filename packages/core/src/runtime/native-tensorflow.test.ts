import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { loadNativeTensorflow, resolveFromProjectOrHere } from './native-tensorflow.js';

const originalCwd = process.cwd();
const tempDirs: string[] = [];

/** A throwaway project whose node_modules holds fake native bindings (CommonJS bodies). */
function fakeProject(packages: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'qcb-native-'));
  tempDirs.push(root);
  for (const [name, body] of Object.entries(packages)) {
    const dir = path.join(root, 'node_modules', ...name.split('/'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, main: 'index.js' }));
    writeFileSync(path.join(dir, 'index.js'), body);
  }
  return root;
}

afterEach(() => {
  process.chdir(originalCwd);
  for (const dir of tempDirs.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('native TensorFlow loading', () => {
  it('resolves packages from the current project first', () => {
    const root = fakeProject({ '@tensorflow/tfjs-node': 'module.exports = {};' });
    process.chdir(root);
    expect(resolveFromProjectOrHere('@tensorflow/tfjs-node')).toContain(path.join('node_modules', '@tensorflow', 'tfjs-node'));
  });

  it('falls back from a GPU binding that fails to load to the CPU binding', () => {
    const root = fakeProject({
      '@tensorflow/tfjs-node-gpu': "throw new Error('libcudart.so.11.0: cannot open shared object file');",
      '@tensorflow/tfjs-node': 'globalThis.__qcbFakeTfjsNode = true;',
    });
    process.chdir(root);
    expect(loadNativeTensorflow()).toEqual({ loaded: { name: '@tensorflow/tfjs-node', gpu: false } });
    expect((globalThis as { __qcbFakeTfjsNode?: boolean }).__qcbFakeTfjsNode).toBe(true);
  });

  it("makes initBackend('tensorflow') say which installed binding failed and why, on one line", async () => {
    const root = fakeProject({
      '@tensorflow/tfjs-node-gpu': "throw new Error('libcudart.so.11.0: cannot open shared object file\\nstack...');",
    });
    process.chdir(root);
    const error = await initBackend('tensorflow').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toContain(
      'Found but failed to load: @tensorflow/tfjs-node-gpu: libcudart.so.11.0: cannot open shared object file.',
    );
    expect(error?.message).not.toContain('\n');
  });
});
