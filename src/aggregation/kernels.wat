;; meshtrain aggregation kernels: WebAssembly SIMD over blocks of rows.
;;
;; The JavaScript side (wasm-arena.ts) copies one block of coordinates of every input into
;; linear memory, one "row" per input, calls a kernel, and copies the result row out. A row is
;; `rowBytes` long (a multiple of 16, four float32 lanes per v128). Row lists are arrays of i32
;; byte offsets; weights and distances are arrays of f64. Nothing here allocates.
;;
;; Regenerate the embedded module after any edit:
;;   node scripts/generate-aggregation-kernels.ts
(module
  (memory (export "memory") 1)

  ;; Compare-exchange network, row-wise. `ops` holds `nOps` triples of i32
  ;; (rowA byte offset, rowB byte offset, kind): kind 0 puts min in A and max in B,
  ;; kind 1 only writes the min into A, kind 2 only writes the max into B.
  ;; pmin/pmax are `b < a ? b : a` / `a < b ? b : a`: one instruction each, and defined
  ;; (never trapping) on NaN.
  (func (export "network") (param $ops i32) (param $nOps i32) (param $rowBytes i32)
    (local $end i32) (local $a i32) (local $b i32) (local $kind i32) (local $off i32)
    (local $va v128) (local $vb v128)
    (local.set $end (i32.add (local.get $ops) (i32.mul (local.get $nOps) (i32.const 12))))
    (block $done
      (loop $nextOp
        (br_if $done (i32.ge_u (local.get $ops) (local.get $end)))
        (local.set $a (i32.load (local.get $ops)))
        (local.set $b (i32.load offset=4 (local.get $ops)))
        (local.set $kind (i32.load offset=8 (local.get $ops)))
        (local.set $off (i32.const 0))
        (if (i32.eqz (local.get $kind))
          (then
            (loop $both
              (local.set $va (v128.load (i32.add (local.get $a) (local.get $off))))
              (local.set $vb (v128.load (i32.add (local.get $b) (local.get $off))))
              (v128.store (i32.add (local.get $a) (local.get $off)) (f32x4.pmin (local.get $va) (local.get $vb)))
              (v128.store (i32.add (local.get $b) (local.get $off)) (f32x4.pmax (local.get $va) (local.get $vb)))
              (local.set $off (i32.add (local.get $off) (i32.const 16)))
              (br_if $both (i32.lt_u (local.get $off) (local.get $rowBytes)))))
          (else
            (if (i32.eq (local.get $kind) (i32.const 1))
              (then
                (loop $minOnly
                  (local.set $va (v128.load (i32.add (local.get $a) (local.get $off))))
                  (local.set $vb (v128.load (i32.add (local.get $b) (local.get $off))))
                  (v128.store (i32.add (local.get $a) (local.get $off)) (f32x4.pmin (local.get $va) (local.get $vb)))
                  (local.set $off (i32.add (local.get $off) (i32.const 16)))
                  (br_if $minOnly (i32.lt_u (local.get $off) (local.get $rowBytes)))))
              (else
                (loop $maxOnly
                  (local.set $va (v128.load (i32.add (local.get $a) (local.get $off))))
                  (local.set $vb (v128.load (i32.add (local.get $b) (local.get $off))))
                  (v128.store (i32.add (local.get $b) (local.get $off)) (f32x4.pmax (local.get $va) (local.get $vb)))
                  (local.set $off (i32.add (local.get $off) (i32.const 16)))
                  (br_if $maxOnly (i32.lt_u (local.get $off) (local.get $rowBytes))))))))
        (local.set $ops (i32.add (local.get $ops) (i32.const 12)))
        (br $nextOp))))

  ;; out = float32(sum over r < n of weights[r] * rows[r]), accumulated in f64 lane pairs, the
  ;; rows in order for every coordinate. Eight coordinates at a time (four independent sums, so
  ;; that an add does not wait for the one before), then the last four if rowBytes leaves them.
  (func (export "weightedSum") (param $rows i32) (param $weights i32) (param $n i32) (param $out i32) (param $rowBytes i32)
    (local $off i32) (local $r i32) (local $w i32) (local $rEnd i32) (local $row i32) (local $wideEnd i32)
    (local $v v128) (local $u v128) (local $ws v128) (local $lo v128) (local $hi v128) (local $lo2 v128) (local $hi2 v128)
    (local.set $rEnd (i32.add (local.get $rows) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $wideEnd (i32.and (local.get $rowBytes) (i32.const -32)))
    (local.set $off (i32.const 0))
    (block $wideDone
      (loop $wide
        (br_if $wideDone (i32.ge_u (local.get $off) (local.get $wideEnd)))
        (local.set $lo (v128.const i64x2 0 0))
        (local.set $hi (v128.const i64x2 0 0))
        (local.set $lo2 (v128.const i64x2 0 0))
        (local.set $hi2 (v128.const i64x2 0 0))
        (local.set $r (local.get $rows))
        (local.set $w (local.get $weights))
        (loop $row
          (local.set $row (i32.add (i32.load (local.get $r)) (local.get $off)))
          (local.set $v (v128.load (local.get $row)))
          (local.set $u (v128.load offset=16 (local.get $row)))
          (local.set $ws (v128.load64_splat (local.get $w)))
          (local.set $lo (f64x2.add (local.get $lo)
            (f64x2.mul (local.get $ws) (f64x2.promote_low_f32x4 (local.get $v)))))
          (local.set $hi (f64x2.add (local.get $hi)
            (f64x2.mul (local.get $ws) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))
          (local.set $lo2 (f64x2.add (local.get $lo2)
            (f64x2.mul (local.get $ws) (f64x2.promote_low_f32x4 (local.get $u)))))
          (local.set $hi2 (f64x2.add (local.get $hi2)
            (f64x2.mul (local.get $ws) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $u) (local.get $u))))))
          (local.set $r (i32.add (local.get $r) (i32.const 4)))
          (local.set $w (i32.add (local.get $w) (i32.const 8)))
          (br_if $row (i32.lt_u (local.get $r) (local.get $rEnd))))
        (v128.store (i32.add (local.get $out) (local.get $off))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $lo))
            (f32x4.demote_f64x2_zero (local.get $hi))))
        (v128.store offset=16 (i32.add (local.get $out) (local.get $off))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $lo2))
            (f32x4.demote_f64x2_zero (local.get $hi2))))
        (local.set $off (i32.add (local.get $off) (i32.const 32)))
        (br $wide)))
    (if (i32.lt_u (local.get $off) (local.get $rowBytes))
      (then
        (local.set $lo (v128.const i64x2 0 0))
        (local.set $hi (v128.const i64x2 0 0))
        (local.set $r (local.get $rows))
        (local.set $w (local.get $weights))
        (loop $row1
          (local.set $v (v128.load (i32.add (i32.load (local.get $r)) (local.get $off))))
          (local.set $ws (v128.load64_splat (local.get $w)))
          (local.set $lo (f64x2.add (local.get $lo)
            (f64x2.mul (local.get $ws) (f64x2.promote_low_f32x4 (local.get $v)))))
          (local.set $hi (f64x2.add (local.get $hi)
            (f64x2.mul (local.get $ws) (f64x2.promote_low_f32x4
              (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v))))))
          (local.set $r (i32.add (local.get $r) (i32.const 4)))
          (local.set $w (i32.add (local.get $w) (i32.const 8)))
          (br_if $row1 (i32.lt_u (local.get $r) (local.get $rEnd))))
        (v128.store (i32.add (local.get $out) (local.get $off))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $lo))
            (f32x4.demote_f64x2_zero (local.get $hi)))))))

  ;; dist[r] += sum over the block of (rows[r] - centre)^2, in f64, for r < n.
  (func (export "squaredDistances") (param $rows i32) (param $n i32) (param $centre i32) (param $rowBytes i32) (param $dist i32)
    (local $r i32) (local $rEnd i32) (local $row i32) (local $off i32)
    (local $v v128) (local $c v128) (local $dlo v128) (local $dhi v128) (local $acc v128)
    (local.set $rEnd (i32.add (local.get $rows) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $r (local.get $rows))
    (block $done
      (loop $eachRow
        (br_if $done (i32.ge_u (local.get $r) (local.get $rEnd)))
        (local.set $row (i32.load (local.get $r)))
        (local.set $acc (v128.const i64x2 0 0))
        (local.set $off (i32.const 0))
        (loop $lane
          (local.set $v (v128.load (i32.add (local.get $row) (local.get $off))))
          (local.set $c (v128.load (i32.add (local.get $centre) (local.get $off))))
          (local.set $dlo (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (f64x2.promote_low_f32x4 (local.get $c))))
          (local.set $dhi (f64x2.sub
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $c) (local.get $c)))))
          (local.set $acc (f64x2.add (local.get $acc)
            (f64x2.add (f64x2.mul (local.get $dlo) (local.get $dlo)) (f64x2.mul (local.get $dhi) (local.get $dhi)))))
          (local.set $off (i32.add (local.get $off) (i32.const 16)))
          (br_if $lane (i32.lt_u (local.get $off) (local.get $rowBytes))))
        (f64.store (local.get $dist) (f64.add (f64.load (local.get $dist))
          (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))))
        (local.set $dist (i32.add (local.get $dist) (i32.const 8)))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $eachRow))))

  ;; matrix[i * n + j] += sum over the block of (rows[i] - rows[j])^2, in f64, for i < j < n.
  (func (export "pairwiseSquaredDistances") (param $rows i32) (param $n i32) (param $rowBytes i32) (param $matrix i32)
    (local $i i32) (local $j i32) (local $a i32) (local $b i32) (local $off i32) (local $cell i32)
    (local $va v128) (local $vb v128) (local $dlo v128) (local $dhi v128) (local $acc v128)
    (local.set $i (i32.const 0))
    (block $doneI
      (loop $eachI
        (br_if $doneI (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $j (i32.add (local.get $i) (i32.const 1)))
        (block $doneJ
          (loop $eachJ
            (br_if $doneJ (i32.ge_u (local.get $j) (local.get $n)))
            (local.set $b (i32.load (i32.add (local.get $rows) (i32.shl (local.get $j) (i32.const 2)))))
            (local.set $acc (v128.const i64x2 0 0))
            (local.set $off (i32.const 0))
            (loop $lane
              (local.set $va (v128.load (i32.add (local.get $a) (local.get $off))))
              (local.set $vb (v128.load (i32.add (local.get $b) (local.get $off))))
              (local.set $dlo (f64x2.sub (f64x2.promote_low_f32x4 (local.get $va)) (f64x2.promote_low_f32x4 (local.get $vb))))
              (local.set $dhi (f64x2.sub
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $va) (local.get $va)))
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $vb) (local.get $vb)))))
              (local.set $acc (f64x2.add (local.get $acc)
                (f64x2.add (f64x2.mul (local.get $dlo) (local.get $dlo)) (f64x2.mul (local.get $dhi) (local.get $dhi)))))
              (local.set $off (i32.add (local.get $off) (i32.const 16)))
              (br_if $lane (i32.lt_u (local.get $off) (local.get $rowBytes))))
            (local.set $cell (i32.add (local.get $matrix)
              (i32.shl (i32.add (i32.mul (local.get $i) (local.get $n)) (local.get $j)) (i32.const 3))))
            (f64.store (local.get $cell) (f64.add (f64.load (local.get $cell))
              (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $eachJ)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $eachI))))

  ;; Content fingerprint: for r < n, state[r] (an i32x4 at 16-byte stride) absorbs every
  ;; v128 of rows[r]: h = rotl(h xor v, 13) * 0x9E3779B1 per lane. Not cryptographic.
  (func (export "fingerprintRows") (param $rows i32) (param $n i32) (param $rowBytes i32) (param $state i32)
    (local $r i32) (local $rEnd i32) (local $row i32) (local $off i32) (local $h v128) (local $x v128)
    (local.set $rEnd (i32.add (local.get $rows) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $r (local.get $rows))
    (block $done
      (loop $eachRow
        (br_if $done (i32.ge_u (local.get $r) (local.get $rEnd)))
        (local.set $row (i32.load (local.get $r)))
        (local.set $h (v128.load (local.get $state)))
        (local.set $off (i32.const 0))
        (loop $lane
          (local.set $x (v128.xor (local.get $h) (v128.load (i32.add (local.get $row) (local.get $off)))))
          (local.set $h (i32x4.mul
            (v128.or (i32x4.shl (local.get $x) (i32.const 13)) (i32x4.shr_u (local.get $x) (i32.const 19)))
            (v128.const i32x4 0x9E3779B1 0x9E3779B1 0x9E3779B1 0x9E3779B1)))
          (local.set $off (i32.add (local.get $off) (i32.const 16)))
          (br_if $lane (i32.lt_u (local.get $off) (local.get $rowBytes))))
        (v128.store (local.get $state) (local.get $h))
        (local.set $state (i32.add (local.get $state) (i32.const 16)))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $eachRow))))
)
