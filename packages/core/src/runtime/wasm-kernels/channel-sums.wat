;; Per-channel sums of a row-major float32 matrix that lives in tfjs-backend-wasm's heap
;; (imported as "env" "memory"): dst[c] = src[0][c] + src[1][c] + ... + src[rows - 1][c],
;; added in row order from 0, as tfjs-backend-wasm's Sum adds a channel once it has been
;; transposed innermost; with $mean set, each sum is then divided by the row count, as its
;; Mean does. Four channels per SIMD add (lanes round like scalar f32 adds), the last
;; channels one by one. Compiled by packages/core/scripts/build-wasm.mjs into
;; channel-sums-module.ts.
(module
  (import "env" "memory" (memory 1))
  (func (export "channelSums") (param $src i32) (param $rows i32) (param $channels i32) (param $dst i32) (param $mean i32)
    (local $rowBytes i32) (local $vectorBytes i32) (local $row i32) (local $i i32) (local $count f32)
    (local.set $rowBytes (i32.shl (local.get $channels) (i32.const 2)))
    (local.set $vectorBytes (i32.and (local.get $rowBytes) (i32.const -16)))
    (memory.fill (local.get $dst) (i32.const 0) (local.get $rowBytes))
    (local.set $row (i32.const 0))
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $i (i32.const 0))
        (block $vectorsDone
          (loop $vectors
            (br_if $vectorsDone (i32.ge_u (local.get $i) (local.get $vectorBytes)))
            (v128.store align=4 (i32.add (local.get $dst) (local.get $i))
              (f32x4.add
                (v128.load align=4 (i32.add (local.get $dst) (local.get $i)))
                (v128.load align=4 (i32.add (local.get $src) (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $vectors)))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $i) (local.get $rowBytes)))
            (f32.store (i32.add (local.get $dst) (local.get $i))
              (f32.add
                (f32.load (i32.add (local.get $dst) (local.get $i)))
                (f32.load (i32.add (local.get $src) (local.get $i)))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $tail)))
        (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $rows)))
    (if (local.get $mean)
      (then
        (local.set $count (f32.convert_i32_u (local.get $rows)))
        (local.set $i (i32.const 0))
        (block $meansDone
          (loop $means
            (br_if $meansDone (i32.ge_u (local.get $i) (local.get $rowBytes)))
            (f32.store (i32.add (local.get $dst) (local.get $i))
              (f32.div (f32.load (i32.add (local.get $dst) (local.get $i))) (local.get $count)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $means)))))))
