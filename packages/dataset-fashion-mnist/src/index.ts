import { fileURLToPath } from 'node:url';

/** The folder holding the four gzipped IDX files of Fashion-MNIST (one level above src/ and dist/). */
export const FASHION_MNIST_DATA_DIR: string = fileURLToPath(new URL('../data/', import.meta.url));

/** One file of Fashion-MNIST: its name without `.gz`, and the SHA-256 of its decompressed IDX bytes. */
export interface FashionMnistFile {
  readonly base: string;
  readonly contentSha256: string;
  /** Size of the decompressed IDX file in bytes. */
  readonly bytes: number;
}

/**
 * The four files, in load order. The digests are of the IDX content, not of the gzip stream,
 * so a folder with the same data compressed differently, or not at all, passes the same check.
 */
export const FASHION_MNIST_FILES: readonly FashionMnistFile[] = [
  { base: 'train-images-idx3-ubyte', contentSha256: 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888', bytes: 47_040_016 },
  { base: 'train-labels-idx1-ubyte', contentSha256: 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9', bytes: 60_008 },
  { base: 't10k-images-idx3-ubyte', contentSha256: '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b', bytes: 7_840_016 },
  { base: 't10k-labels-idx1-ubyte', contentSha256: '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34', bytes: 10_008 },
];
