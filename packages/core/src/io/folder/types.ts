import type { JsonObject } from './json.js';
import type { QcbSidecar } from './sidecar.js';

export type WeightDtype = 'float32' | 'int32';

/** Converter quantization of a stored weight (TF.js `quantization` field). */
export type WeightQuantization =
  | { dtype: 'uint8' | 'uint16'; scale: number; min: number }
  | { dtype: 'float16' };

export interface WeightManifestEntry {
  name: string;
  shape: number[];
  dtype: WeightDtype;
  quantization?: WeightQuantization;
}

export interface WeightManifestGroup {
  paths: string[];
  weights: WeightManifestEntry[];
}

/** model.json in the TF.js layers format. Only the fields qcb understands are kept. */
export interface LayersModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: JsonObject;
  weightsManifest: WeightManifestGroup[];
  trainingConfig?: JsonObject;
  signature?: JsonObject;
  userDefinedMetadata?: JsonObject;
  modelInitializer?: JsonObject;
}

export interface NamedWeight {
  name: string;
  shape: number[];
  dtype: WeightDtype;
  values: Float32Array | Int32Array;
}

export interface ModelFolder {
  /** Absolute path of the folder as given (not symlink-resolved). */
  dir: string;
  modelJson: LayersModelJson;
  weights: Map<string, NamedWeight>;
  sidecar: QcbSidecar | null;
}
