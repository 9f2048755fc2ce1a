import * as tf from '@tensorflow/tfjs-core';

/**
 * Bilinear sampling of NHWC `images` at one grid shared by the whole batch, like
 * `F.grid_sample(align_corners=True)` but with the grid in pixel units: `grid[i, j]` holds
 * the (x = column, y = row) position output pixel (i, j) reads. Positions outside the image
 * are clamped to its border. Works on the flattened image with four gathers.
 */
export function gridSampleBilinear(images: tf.Tensor4D, grid: tf.Tensor3D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = images.shape;
    const [outH, outW] = grid.shape;
    const points = outH * outW;
    const [gx, gy] = tf.split(tf.reshape(grid, [points, 2]), 2, 1);
    const x = tf.clipByValue(tf.reshape(gx, [points]), 0, w - 1);
    const y = tf.clipByValue(tf.reshape(gy, [points]), 0, h - 1);
    const x0f = tf.floor(x);
    const y0f = tf.floor(y);
    const tx = tf.sub(x, x0f);
    const ty = tf.sub(y, y0f);
    const x0 = tf.cast(x0f, 'int32');
    const y0 = tf.cast(y0f, 'int32');
    // At the last row/column the far neighbour gets weight 0; clamping keeps it in range.
    const int = (v: number): tf.Scalar => tf.scalar(v, 'int32');
    const x1 = tf.minimum(tf.add(x0, int(1)), int(w - 1));
    const y1 = tf.minimum(tf.add(y0, int(1)), int(h - 1));

    const flat = tf.reshape(images, [n, h * w, c]);
    const corner = (yi: tf.Tensor, xi: tf.Tensor, weight: tf.Tensor): tf.Tensor =>
      tf.mul(tf.gather(flat, tf.add(tf.mul(yi, int(w)), xi), 1), tf.reshape(weight, [1, points, 1]));
    const ux = tf.sub(1, tx);
    const uy = tf.sub(1, ty);
    const sum = tf.addN([
      corner(y0, x0, tf.mul(uy, ux)),
      corner(y0, x1, tf.mul(uy, tx)),
      corner(y1, x0, tf.mul(ty, ux)),
      corner(y1, x1, tf.mul(ty, tx)),
    ]);
    return tf.reshape(sum, [n, outH, outW, c]);
  });
}
