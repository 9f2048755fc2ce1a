;; out[b][i][j] = sum over k of a[b][i][k] * bm[b][k][j], in tfjs-backend-wasm's own order for
;; the matmuls XNNPACK does not take (transposed or batched operands): the shared axis in
;; blocks of 48, each block's products added in order from 0, and the output, from 0, plus
;; each block's sum and then plus 0 (its bias term), block after block; the i and j axes are
;; tiled by 48 as well. Four columns per SIMD lane group (the lanes round like scalar f32
;; operations; wasm has no fused multiply-add), the last columns of a tile one by one.
;; `a` is read through element strides (a transposed `a` needs no copy); `bm` is row-major
;; [k][n] per batch. Compiled by packages/core/scripts/build-wasm.mjs into
;; blocked-matmul-module.ts.
(module
  (import "env" "memory" (memory 1))
  (func (export "blockedMatmul")
    (param $a i32) (param $bm i32) (param $out i32)
    (param $batch i32) (param $m i32) (param $k i32) (param $n i32)
    (param $aBatch i32) (param $aRow i32) (param $aK i32) (param $bBatch i32)
    (local $b i32) (local $i0 i32) (local $j0 i32) (local $k0 i32)
    (local $iEnd i32) (local $jEnd i32) (local $kEnd i32)
    (local $i i32) (local $j i32) (local $kk i32)
    (local $aBase i32) (local $bBase i32) (local $oBase i32)
    (local $aPtr i32) (local $bPtr i32) (local $oPtr i32)
    (local $aKBytes i32) (local $nBytes i32)
    (local $sv v128) (local $s f32)
    (local.set $aKBytes (i32.shl (local.get $aK) (i32.const 2)))
    (local.set $nBytes (i32.shl (local.get $n) (i32.const 2)))
    (memory.fill (local.get $out) (i32.const 0)
      (i32.shl (i32.mul (local.get $batch) (i32.mul (local.get $m) (local.get $n))) (i32.const 2)))
    (local.set $b (i32.const 0))
    (block $batchesDone (loop $batches
      (br_if $batchesDone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $aBase (i32.add (local.get $a) (i32.shl (i32.mul (local.get $b) (local.get $aBatch)) (i32.const 2))))
      (local.set $bBase (i32.add (local.get $bm) (i32.shl (i32.mul (local.get $b) (local.get $bBatch)) (i32.const 2))))
      (local.set $oBase (i32.add (local.get $out) (i32.shl (i32.mul (local.get $b) (i32.mul (local.get $m) (local.get $n))) (i32.const 2))))
      (local.set $i0 (i32.const 0))
      (block $iTilesDone (loop $iTiles
        (br_if $iTilesDone (i32.ge_u (local.get $i0) (local.get $m)))
        (local.set $iEnd (select (i32.add (local.get $i0) (i32.const 48)) (local.get $m)
          (i32.lt_u (i32.add (local.get $i0) (i32.const 48)) (local.get $m))))
        (local.set $j0 (i32.const 0))
        (block $jTilesDone (loop $jTiles
          (br_if $jTilesDone (i32.ge_u (local.get $j0) (local.get $n)))
          (local.set $jEnd (select (i32.add (local.get $j0) (i32.const 48)) (local.get $n)
            (i32.lt_u (i32.add (local.get $j0) (i32.const 48)) (local.get $n))))
          (local.set $k0 (i32.const 0))
          (block $kTilesDone (loop $kTiles
            (br_if $kTilesDone (i32.ge_u (local.get $k0) (local.get $k)))
            (local.set $kEnd (select (i32.add (local.get $k0) (i32.const 48)) (local.get $k)
              (i32.lt_u (i32.add (local.get $k0) (i32.const 48)) (local.get $k))))
            (local.set $i (local.get $i0))
            (block $rowsDone (loop $rows
              (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $iEnd)))
              (local.set $j (local.get $j0))
              ;; four columns at a time
              (block $vectorsDone (loop $vectors
                (br_if $vectorsDone (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $jEnd)))
                (local.set $sv (v128.const i32x4 0 0 0 0))
                (local.set $aPtr (i32.add (local.get $aBase)
                  (i32.shl (i32.add (i32.mul (local.get $i) (local.get $aRow)) (i32.mul (local.get $k0) (local.get $aK))) (i32.const 2))))
                (local.set $bPtr (i32.add (local.get $bBase)
                  (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $n)) (local.get $j)) (i32.const 2))))
                (local.set $kk (local.get $k0))
                (block $sharedDone (loop $shared
                  (br_if $sharedDone (i32.ge_u (local.get $kk) (local.get $kEnd)))
                  (local.set $sv (f32x4.add (local.get $sv)
                    (f32x4.mul (f32x4.splat (f32.load (local.get $aPtr))) (v128.load align=4 (local.get $bPtr)))))
                  (local.set $aPtr (i32.add (local.get $aPtr) (local.get $aKBytes)))
                  (local.set $bPtr (i32.add (local.get $bPtr) (local.get $nBytes)))
                  (local.set $kk (i32.add (local.get $kk) (i32.const 1)))
                  (br $shared)))
                (local.set $oPtr (i32.add (local.get $oBase)
                  (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
                (v128.store align=4 (local.get $oPtr)
                  (f32x4.add (f32x4.add (v128.load align=4 (local.get $oPtr)) (local.get $sv)) (v128.const i32x4 0 0 0 0)))
                (local.set $j (i32.add (local.get $j) (i32.const 4)))
                (br $vectors)))
              ;; the tile's last columns one by one
              (block $columnsDone (loop $columns
                (br_if $columnsDone (i32.ge_u (local.get $j) (local.get $jEnd)))
                (local.set $s (f32.const 0))
                (local.set $aPtr (i32.add (local.get $aBase)
                  (i32.shl (i32.add (i32.mul (local.get $i) (local.get $aRow)) (i32.mul (local.get $k0) (local.get $aK))) (i32.const 2))))
                (local.set $bPtr (i32.add (local.get $bBase)
                  (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $n)) (local.get $j)) (i32.const 2))))
                (local.set $kk (local.get $k0))
                (block $sharedDone1 (loop $shared1
                  (br_if $sharedDone1 (i32.ge_u (local.get $kk) (local.get $kEnd)))
                  (local.set $s (f32.add (local.get $s) (f32.mul (f32.load (local.get $aPtr)) (f32.load (local.get $bPtr)))))
                  (local.set $aPtr (i32.add (local.get $aPtr) (local.get $aKBytes)))
                  (local.set $bPtr (i32.add (local.get $bPtr) (local.get $nBytes)))
                  (local.set $kk (i32.add (local.get $kk) (i32.const 1)))
                  (br $shared1)))
                (local.set $oPtr (i32.add (local.get $oBase)
                  (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 2))))
                (f32.store (local.get $oPtr)
                  (f32.add (f32.add (f32.load (local.get $oPtr)) (local.get $s)) (f32.const 0)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $columns)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $rows)))
            (local.set $k0 (local.get $kEnd))
            (br $kTiles)))
          (local.set $j0 (local.get $jEnd))
          (br $jTiles)))
        (local.set $i0 (local.get $iEnd))
        (br $iTiles)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $batches))))
)
