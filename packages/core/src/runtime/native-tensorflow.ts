import { createRequire } from 'node:module';
import * as path from 'node:path';

/** A native TensorFlow binding package (never a dependency of this package). */
export interface NativePackage {
  readonly name: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node';
  readonly gpu: boolean;
}

export const NATIVE_PACKAGES: readonly NativePackage[] = [
  { name: '@tensorflow/tfjs-node-gpu', gpu: true },
  { name: '@tensorflow/tfjs-node', gpu: false },
];

export type NativeLoadResult =
  | { readonly loaded: NativePackage }
  | { readonly loaded: null; readonly failures: readonly NativeLoadFailure[] };

/** A package that was found but could not be loaded (e.g. missing CUDA or a broken binding). */
export interface NativeLoadFailure {
  readonly name: string;
  readonly error: unknown;
}

/**
 * Resolves a package from the user's project (process.cwd()) first, then from
 * this package. Resolution goes through `require.resolve` so TypeScript never
 * needs the package's types.
 */
export function resolveFromProjectOrHere(name: string): string | undefined {
  const requirers = [createRequire(path.join(process.cwd(), 'noop.js')), createRequire(import.meta.url)];
  for (const require of requirers) {
    try {
      return require.resolve(name);
    } catch {
      // Not resolvable from here; try the next location.
    }
  }
  return undefined;
}

/** Loads the first native binding that can be imported; loading one registers the 'tensorflow' backend. */
export function loadNativeTensorflow(): NativeLoadResult {
  const failures: NativeLoadFailure[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    const resolved = resolveFromProjectOrHere(pkg.name);
    if (resolved === undefined) {
      continue;
    }
    try {
      // Both bindings are CommonJS; requiring the resolved file loads the
      // copy installed in the user's project.
      createRequire(resolved)(resolved);
      return { loaded: pkg };
    } catch (error) {
      failures.push({ name: pkg.name, error });
    }
  }
  return { loaded: null, failures };
}
