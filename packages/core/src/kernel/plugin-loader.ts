import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ContainerModule } from 'inversify';
import { QcbError } from '../errors.js';

function isPathSpec(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec) || /\.(c|m)?js$/.test(spec);
}

function looksLikeContainerModule(v: unknown): v is ContainerModule {
  // Duck-typed: a user's plugin package may bring its own copy of inversify.
  return typeof v === 'object' && v !== null && typeof (v as { load?: unknown }).load === 'function' && typeof (v as { id?: unknown }).id === 'number';
}

/** Resolves a package name from the user's folder first, then from qcb's own. */
function resolvePackage(spec: string, cwd: string): string {
  for (const base of [resolve(cwd, 'package.json'), import.meta.url]) {
    try {
      return pathToFileURL(createRequire(base).resolve(spec)).href;
    } catch {
      // try the next base
    }
  }
  throw new QcbError('E_PLUGIN', `cannot load plugin "${spec}": package not found from ${cwd}`, {
    hint: 'install it in your project, or pass a file path',
  });
}

/**
 * Imports a plugin by module specifier (a package name or a path to a JS file); its
 * default export must be an inversify ContainerModule.
 */
export async function importPluginModule(spec: string, cwd: string = process.cwd()): Promise<ContainerModule> {
  let url: string;
  if (isPathSpec(spec)) {
    url = pathToFileURL(resolve(cwd, spec)).href;
  } else {
    url = resolvePackage(spec, cwd);
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(url)) as { default?: unknown };
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' ? 'file not found' : (e as Error).message;
    throw new QcbError('E_PLUGIN', `cannot load plugin "${spec}": ${reason}`);
  }
  const candidate = mod.default;
  if (!looksLikeContainerModule(candidate)) {
    throw new QcbError('E_PLUGIN', `plugin "${spec}" must export an inversify ContainerModule as its default export`);
  }
  return candidate;
}

/** A config file: `{"plugins": ["<spec>", ...]}`; paths are relative to the file. */
export interface QcbConfig {
  readonly plugins: string[];
}

export async function readConfigFile(file: string): Promise<QcbConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new QcbError('E_USAGE', `config file ${file} cannot be read`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new QcbError('E_USAGE', `config file ${file} is not valid JSON: ${(e as Error).message}`);
  }
  const plugins = (json as { plugins?: unknown } | null)?.plugins ?? [];
  if (typeof json !== 'object' || json === null || Array.isArray(json) || !Array.isArray(plugins) || !plugins.every((p) => typeof p === 'string')) {
    throw new QcbError('E_USAGE', `config file ${file}: "plugins" must be an array of module specifiers`);
  }
  const dir = resolve(file, '..');
  return { plugins: plugins.map((p: string) => (p.startsWith('.') ? resolve(dir, p) : p)) };
}
