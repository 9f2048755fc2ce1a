;; The gradient of a max pool whose windows tile the input (stride = window, no padding, no
;; dilation), NHWC, as tfjs-backend-wasm's MaxPoolGrad computes it: each window's maximum is
;; searched from the smallest positive normal float (1.17549435e-38) with `>=`, in row-major
;; order, so the last of equal maxima wins and a window without a value of at least that
;; size keeps position 0, the tensor's first element (which only the first window of channel
;; 0 contains); then dx = 0 + dy * (1 where the position is the window's maximum, else 0), and
;; 0 where no window reaches. Four channels per SIMD lane group, the last channels one by
;; one. Compiled by packages/core/scripts/build-wasm.mjs into max-pool-grad-module.ts.
(module
  (import "env" "memory" (memory 1))
  (func (export "maxPoolGrad")
    (param $x i32) (param $dy i32) (param $dx i32)
    (param $batch i32) (param $inH i32) (param $inW i32) (param $c i32)
    (param $outH i32) (param $outW i32) (param $kh i32) (param $kw i32)
    (local $b i32) (local $oh i32) (local $ow i32) (local $ch i32) (local $r i32) (local $s i32) (local $t i32)
    (local $rowBytes i32) (local $cBytes i32) (local $corner i32) (local $tap i32) (local $dyPtr i32)
    (local $best v128) (local $pos v128) (local $v v128) (local $ge v128) (local $dyv v128)
    (local $bestS f32) (local $posS i32) (local $vS f32) (local $dyS f32)
    (local.set $cBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $rowBytes (i32.mul (local.get $inW) (local.get $cBytes)))
    (memory.fill (local.get $dx) (i32.const 0)
      (i32.mul (i32.mul (local.get $batch) (local.get $inH)) (local.get $rowBytes)))
    (local.set $dyPtr (local.get $dy))
    (local.set $b (i32.const 0))
    (block $batchesDone (loop $batches
      (br_if $batchesDone (i32.ge_u (local.get $b) (local.get $batch)))
      (local.set $oh (i32.const 0))
      (block $rowsDone (loop $rows
        (br_if $rowsDone (i32.ge_u (local.get $oh) (local.get $outH)))
        (local.set $ow (i32.const 0))
        (block $colsDone (loop $cols
          (br_if $colsDone (i32.ge_u (local.get $ow) (local.get $outW)))
          ;; byte offset of the window's first element, channel 0, in x and dx
          (local.set $corner
            (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $inH)) (i32.mul (local.get $oh) (local.get $kh))) (local.get $rowBytes))
              (i32.mul (i32.mul (local.get $ow) (local.get $kw)) (local.get $cBytes))))
          (local.set $ch (i32.const 0))
          (block $vectorsDone (loop $vectors
            (br_if $vectorsDone (i32.gt_u (i32.add (local.get $ch) (i32.const 4)) (local.get $c)))
            (local.set $best (f32x4.splat (f32.const 0x1p-126)))
            ;; position -1: none; 0 for the tensor's first element when it is in this window
            (local.set $pos (select (v128.const i32x4 0 -1 -1 -1) (v128.const i32x4 -1 -1 -1 -1) (i32.eqz (i32.or (local.get $corner) (local.get $ch)))))
            (local.set $t (i32.const 0))
            (local.set $r (i32.const 0))
            (block $findRowsDone (loop $findRows
              (br_if $findRowsDone (i32.ge_u (local.get $r) (local.get $kh)))
              (local.set $s (i32.const 0))
              (block $findColsDone (loop $findCols
                (br_if $findColsDone (i32.ge_u (local.get $s) (local.get $kw)))
                (local.set $tap (i32.add (local.get $x) (i32.add (local.get $corner)
                  (i32.add (i32.add (i32.mul (local.get $r) (local.get $rowBytes)) (i32.mul (local.get $s) (local.get $cBytes))) (i32.shl (local.get $ch) (i32.const 2))))))
                (local.set $v (v128.load align=4 (local.get $tap)))
                (local.set $ge (f32x4.ge (local.get $v) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $ge)))
                (local.set $pos (v128.bitselect (i32x4.splat (local.get $t)) (local.get $pos) (local.get $ge)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (local.set $s (i32.add (local.get $s) (i32.const 1)))
                (br $findCols)))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br $findRows)))
            (local.set $dyv (v128.load align=4 (i32.add (local.get $dyPtr) (i32.shl (local.get $ch) (i32.const 2)))))
            (local.set $t (i32.const 0))
            (local.set $r (i32.const 0))
            (block $writeRowsDone (loop $writeRows
              (br_if $writeRowsDone (i32.ge_u (local.get $r) (local.get $kh)))
              (local.set $s (i32.const 0))
              (block $writeColsDone (loop $writeCols
                (br_if $writeColsDone (i32.ge_u (local.get $s) (local.get $kw)))
                (local.set $tap (i32.add (local.get $dx) (i32.add (local.get $corner)
                  (i32.add (i32.add (i32.mul (local.get $r) (local.get $rowBytes)) (i32.mul (local.get $s) (local.get $cBytes))) (i32.shl (local.get $ch) (i32.const 2))))))
                (v128.store align=4 (local.get $tap)
                  (f32x4.add (v128.const i32x4 0 0 0 0)
                    (f32x4.mul (local.get $dyv)
                      (v128.bitselect (f32x4.splat (f32.const 1)) (v128.const i32x4 0 0 0 0) (i32x4.eq (local.get $pos) (i32x4.splat (local.get $t)))))))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (local.set $s (i32.add (local.get $s) (i32.const 1)))
                (br $writeCols)))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br $writeRows)))
            (local.set $ch (i32.add (local.get $ch) (i32.const 4)))
            (br $vectors)))
          ;; the last channels one by one
          (block $channelsDone (loop $channels
            (br_if $channelsDone (i32.ge_u (local.get $ch) (local.get $c)))
            (local.set $bestS (f32.const 0x1p-126))
            (local.set $posS (select (i32.const 0) (i32.const -1) (i32.eqz (i32.or (local.get $corner) (local.get $ch)))))
            (local.set $t (i32.const 0))
            (local.set $r (i32.const 0))
            (block $findRowsDone1 (loop $findRows1
              (br_if $findRowsDone1 (i32.ge_u (local.get $r) (local.get $kh)))
              (local.set $s (i32.const 0))
              (block $findColsDone1 (loop $findCols1
                (br_if $findColsDone1 (i32.ge_u (local.get $s) (local.get $kw)))
                (local.set $vS (f32.load (i32.add (local.get $x) (i32.add (local.get $corner)
                  (i32.add (i32.add (i32.mul (local.get $r) (local.get $rowBytes)) (i32.mul (local.get $s) (local.get $cBytes))) (i32.shl (local.get $ch) (i32.const 2)))))))
                (if (f32.ge (local.get $vS) (local.get $bestS))
                  (then (local.set $bestS (local.get $vS)) (local.set $posS (local.get $t))))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (local.set $s (i32.add (local.get $s) (i32.const 1)))
                (br $findCols1)))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br $findRows1)))
            (local.set $dyS (f32.load (i32.add (local.get $dyPtr) (i32.shl (local.get $ch) (i32.const 2)))))
            (local.set $t (i32.const 0))
            (local.set $r (i32.const 0))
            (block $writeRowsDone1 (loop $writeRows1
              (br_if $writeRowsDone1 (i32.ge_u (local.get $r) (local.get $kh)))
              (local.set $s (i32.const 0))
              (block $writeColsDone1 (loop $writeCols1
                (br_if $writeColsDone1 (i32.ge_u (local.get $s) (local.get $kw)))
                (f32.store (i32.add (local.get $dx) (i32.add (local.get $corner)
                  (i32.add (i32.add (i32.mul (local.get $r) (local.get $rowBytes)) (i32.mul (local.get $s) (local.get $cBytes))) (i32.shl (local.get $ch) (i32.const 2)))))
                  (f32.add (f32.const 0)
                    (f32.mul (local.get $dyS) (select (f32.const 1) (f32.const 0) (i32.eq (local.get $posS) (local.get $t))))))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (local.set $s (i32.add (local.get $s) (i32.const 1)))
                (br $writeCols1)))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br $writeRows1)))
            (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
            (br $channels)))
          (local.set $dyPtr (i32.add (local.get $dyPtr) (local.get $cBytes)))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br $cols)))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br $rows)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $batches))))
)
