/** A labelled set of images held in memory. */
export interface ImageSet {
  /** count x H x W x C values in [0, 1], row-major (NHWC). */
  readonly images: Float32Array;
  /** Class indices in [0, classes). */
  readonly labels: Int32Array;
  readonly count: number;
  /** [H, W, C] */
  readonly shape: readonly [number, number, number];
}

/** Per-channel input normalisation x' = (x - mean) / std, applied after any trigger. */
export interface Normalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface Dataset {
  /** 'fashion-mnist', 'cifar10', 'folder' or 'synthetic'. */
  readonly name: string;
  readonly classes: number;
  readonly labelNames?: readonly string[];
  readonly train: ImageSet;
  readonly test: ImageSet;
  /** The normalisation models trained on this dataset use; recorded in qcb.json. */
  readonly normalization: Normalization;
  /** Training-time augmentation that suits the data (none when absent). */
  readonly augmentation?: { readonly padCrop?: number; readonly flip?: boolean };
  /** Where the data was read from (a folder), when it came from disk. */
  readonly source?: string;
}
