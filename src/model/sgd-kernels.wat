;; meshtrain simulation SGD kernels: WebAssembly SIMD, float32, for SimulationSgd (sgd-step.ts).
;;
;; Every multiply and add is one float32 operation (f32x4.mul, then f32x4.add: never fused), and
;; each output of a product accumulates its terms in order k = 0, 1, ..., starting from +0: the
;; arithmetic of the tfjs wasm backend's matMul (XNNPACK), so the results are the same bits
;; (test/unit/model/sgd-step.test.ts compares them on random inputs). Pointers and strides are in
;; bytes. Nothing here allocates.
;;
;; Regenerate the embedded module after any edit:
;;   node scripts/generate-aggregation-kernels.ts
(module
  (memory (export "memory") 1)

  ;; out[i][j] = sum over k of a(i, k) * b[k][j], for i < m and j < 8 * nBlocks, where a(i, k)
  ;; is the float32 at a + i * aRow + k * aCol (so a transposed left side is only other strides),
  ;; b[k][j] at b + k * bRow + 4 * j and out[i][j] at out + i * outRow + 4 * j. Four rows and
  ;; eight columns at a time, in registers; then the rows left over one at a time.
  (func (export "gemm")
    (param $a i32) (param $aRow i32) (param $aCol i32) (param $b i32) (param $bRow i32)
    (param $out i32) (param $outRow i32) (param $m i32) (param $k i32) (param $nBlocks i32)
    (local $i i32) (local $jb i32) (local $kk i32) (local $pa i32) (local $pb i32) (local $po i32)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $i (i32.const 0))
    (block $rows4Done
      (loop $rows4
        (br_if $rows4Done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
        (local.set $jb (i32.const 0))
        (block $colsDone
          (loop $cols
            (br_if $colsDone (i32.ge_s (local.get $jb) (local.get $nBlocks)))
            (local.set $c00 (v128.const f32x4 0 0 0 0)) (local.set $c01 (v128.const f32x4 0 0 0 0))
            (local.set $c10 (v128.const f32x4 0 0 0 0)) (local.set $c11 (v128.const f32x4 0 0 0 0))
            (local.set $c20 (v128.const f32x4 0 0 0 0)) (local.set $c21 (v128.const f32x4 0 0 0 0))
            (local.set $c30 (v128.const f32x4 0 0 0 0)) (local.set $c31 (v128.const f32x4 0 0 0 0))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $jb) (i32.const 5))))
            (local.set $kk (i32.const 0))
            (block $kDone
              (loop $kLoop
                (br_if $kDone (i32.ge_s (local.get $kk) (local.get $k)))
                (local.set $b0 (v128.load (local.get $pb)))
                (local.set $b1 (v128.load offset=16 (local.get $pb)))
                (local.set $x (f32x4.splat (f32.load (local.get $pa))))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (f32x4.splat (f32.load (i32.add (local.get $pa) (local.get $aRow)))))
                (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (f32x4.splat (f32.load (i32.add (local.get $pa) (i32.shl (local.get $aRow) (i32.const 1))))))
                (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $x (f32x4.splat (f32.load (i32.add (local.get $pa) (i32.mul (local.get $aRow) (i32.const 3))))))
                (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
                (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
                (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
                (local.set $pb (i32.add (local.get $pb) (local.get $bRow)))
                (local.set $kk (i32.add (local.get $kk) (i32.const 1)))
                (br $kLoop)))
            (local.set $po (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $outRow))) (i32.shl (local.get $jb) (i32.const 5))))
            (v128.store (local.get $po) (local.get $c00))
            (v128.store offset=16 (local.get $po) (local.get $c01))
            (local.set $po (i32.add (local.get $po) (local.get $outRow)))
            (v128.store (local.get $po) (local.get $c10))
            (v128.store offset=16 (local.get $po) (local.get $c11))
            (local.set $po (i32.add (local.get $po) (local.get $outRow)))
            (v128.store (local.get $po) (local.get $c20))
            (v128.store offset=16 (local.get $po) (local.get $c21))
            (local.set $po (i32.add (local.get $po) (local.get $outRow)))
            (v128.store (local.get $po) (local.get $c30))
            (v128.store offset=16 (local.get $po) (local.get $c31))
            (local.set $jb (i32.add (local.get $jb) (i32.const 1)))
            (br $cols)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows4)))
    ;; The last m mod 4 rows.
    (block $rowsDone
      (loop $rows
        (br_if $rowsDone (i32.ge_s (local.get $i) (local.get $m)))
        (local.set $jb (i32.const 0))
        (block $colsDone1
          (loop $cols1
            (br_if $colsDone1 (i32.ge_s (local.get $jb) (local.get $nBlocks)))
            (local.set $c00 (v128.const f32x4 0 0 0 0)) (local.set $c01 (v128.const f32x4 0 0 0 0))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $aRow))))
            (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $jb) (i32.const 5))))
            (local.set $kk (i32.const 0))
            (block $kDone1
              (loop $kLoop1
                (br_if $kDone1 (i32.ge_s (local.get $kk) (local.get $k)))
                (local.set $x (f32x4.splat (f32.load (local.get $pa))))
                (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (v128.load (local.get $pb)))))
                (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (v128.load offset=16 (local.get $pb)))))
                (local.set $pa (i32.add (local.get $pa) (local.get $aCol)))
                (local.set $pb (i32.add (local.get $pb) (local.get $bRow)))
                (local.set $kk (i32.add (local.get $kk) (i32.const 1)))
                (br $kLoop1)))
            (local.set $po (i32.add (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $outRow))) (i32.shl (local.get $jb) (i32.const 5))))
            (v128.store (local.get $po) (local.get $c00))
            (v128.store offset=16 (local.get $po) (local.get $c01))
            (local.set $jb (i32.add (local.get $jb) (i32.const 1)))
            (br $cols1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; w[j] = w[j] - g[j] * rate for j < 4 * nVectors (a float32 multiply, then a float32 subtract).
  (func (export "descend") (param $w i32) (param $g i32) (param $nVectors i32) (param $rate f32)
    (local $end i32) (local $r v128)
    (local.set $r (f32x4.splat (local.get $rate)))
    (local.set $end (i32.add (local.get $w) (i32.shl (local.get $nVectors) (i32.const 4))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $w) (local.get $end)))
        (v128.store (local.get $w) (f32x4.sub (v128.load (local.get $w)) (f32x4.mul (v128.load (local.get $g)) (local.get $r))))
        (local.set $w (i32.add (local.get $w) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (br $next))))
)
