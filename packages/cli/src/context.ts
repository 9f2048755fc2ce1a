import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUILTIN_MODULES, Engine, QcbError, importPluginModule, readConfigFile } from '@qcb/core';
import { initBackend, isValidBackendChoice, setRunThreads, type BackendInfo } from '@qcb/core';
import { DEFAULT_PLUGINS } from './default-plugins.js';
import type { GlobalOptions } from './options.js';

export const DEFAULT_CONFIG_FILE = 'qcb.config.json';

/** Plugin specifiers from the config file (explicit, or qcb.config.json in cwd) and --plugin. */
export async function pluginSpecs(globals: GlobalOptions, cwd: string): Promise<string[]> {
  const specs: string[] = [];
  const configFile = globals.config ? resolve(cwd, globals.config) : resolve(cwd, DEFAULT_CONFIG_FILE);
  if (globals.config || existsSync(configFile)) specs.push(...(await readConfigFile(configFile)).plugins);
  specs.push(...globals.plugin);
  return specs;
}

/** The engine with every plugin named by the user loaded and applied. */
export async function createEngine(globals: GlobalOptions, cwd: string): Promise<Engine> {
  const modules = [];
  for (const spec of await pluginSpecs(globals, cwd)) modules.push(await importPluginModule(spec, cwd));
  return Engine.create([...BUILTIN_MODULES, ...DEFAULT_PLUGINS, ...modules]);
}

export async function selectBackend(globals: GlobalOptions): Promise<BackendInfo> {
  if (!isValidBackendChoice(globals.backend)) {
    throw new QcbError('E_BACKEND', `unknown backend "${globals.backend}" (choose auto, tensorflow, wasm or cpu)`);
  }
  setRunThreads(parseThreads(globals.threads));
  return initBackend(globals.backend);
}

/** `--threads N`: a positive integer; absent means every core. */
function parseThreads(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 1) throw new QcbError('E_USAGE', `--threads must be a positive integer, got "${raw}"`);
  return n;
}
