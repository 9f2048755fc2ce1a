export { readModelFolder, DEFAULT_MAX_BYTES, type ReadModelFolderOptions } from './read-model-folder.js';
export {
  writeModelFolder,
  DEFAULT_SHARD_BYTES,
  type ModelFolderContent,
  type WriteModelFolderOptions,
} from './write-model-folder.js';
export { parseSidecar, serializeSidecar, type QcbSidecar, type TriggerSpec } from './sidecar.js';
export { parseLayersModelJson } from './manifest.js';
export type { JsonObject, JsonValue } from './json.js';
export type {
  LayersModelJson,
  ModelFolder,
  NamedWeight,
  WeightDtype,
  WeightManifestEntry,
  WeightManifestGroup,
  WeightQuantization,
} from './types.js';
