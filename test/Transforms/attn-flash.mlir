// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=8 threads=4}))" -split-input-file | FileCheck %s
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=8 query-block=16}))" -split-input-file | FileCheck %s --check-prefix=Q16
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=16 query-block=32 key-block=48}))" -split-input-file | FileCheck %s --check-prefix=W16
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=16}))" -split-input-file | FileCheck %s --check-prefix=PACK
// RUN: not attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=8 query-block=12}))" -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{blocks-per-task=-1}))" -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: attn-flash: vector-width must be a multiple of 4, query-block a multiple of vector-width, key-block positive, blocks-per-task non-negative

// The kernel: read-only buffers in, one parallel loop over (batch, kv head,
// row block), stack scratch per task, an online-softmax loop over key blocks
// carrying the running max and sum (3 vectors each), and the result tensor.
// CHECK-LABEL: func.func @gqa(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x40x64xf32>, %[[K:[^:]+]]: tensor<2x2x300x64xf32>, %[[V:[^:]+]]: tensor<2x2x300x32xf32>
// CHECK-DAG:     %[[QM:.+]] = bufferization.to_buffer %[[Q]] read_only
// CHECK-DAG:     %[[KM:.+]] = bufferization.to_buffer %[[K]] read_only
// CHECK-DAG:     %[[VM:.+]] = bufferization.to_buffer %[[V]] read_only
// CHECK:         %[[OUT:.+]] = memref.alloc() : memref<2x8x40x32xf32>
// CHECK:         %[[G:.+]] = arith.divui
// CHECK:         %[[ROWS:.+]] = arith.muli %[[G]]
// 160 rows per kv head reuse K: it is packed once in tiles of the S^T
// register tile's 4 keys, [b][h][tile][D][4], by 4 x 4 transposes in
// registers.
// CHECK:         %[[KP:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x?x64x4xf32>
// CHECK:         scf.parallel
// CHECK:           scf.for
// CHECK-COUNT-4:     vector.load %[[KM]]{{.*}} vector<4xf32>
// CHECK-COUNT-8:     vector.shuffle
// CHECK-COUNT-4:     vector.store {{.*}}, %[[KP]]{{.*}} vector<4xf32>
// V too, per column tile of the O accumulation (Dv = 32: one tile of 4
// vectors), [b][h][tile][Sk][4 x 8].
// CHECK:         %[[VP:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x1x?x32xf32>
// CHECK:         scf.parallel
// CHECK:           vector.load %[[VM]]
// CHECK:           vector.store {{.*}}, %[[VP]]
// CHECK:         %[[NB:.+]] = arith.ceildivui %[[ROWS]]
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = {{.*}} to (%{{.*}}, %{{.*}}, %[[NB]])
// CHECK:           memref.alloca_scope
// O (Dv = 32), P (96 keys x 24 queries), alpha, l and Qt.
// CHECK-DAG:         memref.alloca() {alignment = 64 : i64} : memref<24x32xf32>
// CHECK-DAG:         memref.alloca() {alignment = 64 : i64} : memref<96x24xf32>
// CHECK-DAG:         %[[QT:.+]] = memref.alloca() {alignment = 64 : i64} : memref<64x24xf32>
// Qt, 8 rows at a time: 8-element chunks of the rows along D, scaled, and
// transposed by 8 x 8 shuffles into 8 rows of Qt.
// CHECK:             scf.for
// CHECK-COUNT-8:       vector.load %[[QM]]{{.*}} vector<8xf32>
// CHECK-COUNT-24:      vector.shuffle
// CHECK-COUNT-8:       vector.store {{.*}}, %[[QT]]{{.*}} vector<8xf32>
// CHECK:             %{{.+}}:6 = scf.for {{.*}} iter_args({{.*}}) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// S^T = K Qt: 4 keys x 3 query vectors = 12 accumulators.
// CHECK:               scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-4:         memref.load %[[KP]]
// CHECK-COUNT-12:        vector.fma
// Online softmax in base 2 (Qt carries scale * log2(e)): the max two rows
// per step as compare + select (one vmaxps), then exp2 from the exponent
// bits and a polynomial of the fraction, no math.exp.
// CHECK:               arith.cmpf ogt, {{.*}} : vector<8xf32>
// CHECK:               arith.select
// CHECK-NOT:           math.exp
// CHECK:               math.floor {{.*}} : vector<8xf32>
// CHECK:               arith.bitcast {{.*}} : vector<8xi32> to vector<8xf32>
// O += P V in tiles of 3 rows x 4 vectors: the 3 rows' P broadcast first,
// then each V vector loaded from the panel right before its 3 FMAs, so that
// 12 accumulators + 3 splats + 1 vector fit AVX2's 16 registers.
// CHECK:               scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-3:         vector.broadcast
// CHECK-NOT:             vector.fma
// CHECK:                 vector.load %[[VP]]
// CHECK-COUNT-3:         vector.fma
// CHECK-NOT:             vector.fma
// CHECK:                 vector.load %[[VP]]
// CHECK-COUNT-3:         vector.fma
// The output rows, O / l, are written vector by vector.
// CHECK:           vector.store {{.*}}, %[[OUT]]{{.*}} : memref<2x8x40x32xf32>, vector<8xf32>
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT:     attn.sdpa
// With two vectors of rows (query-block=16), 6 keys x 2 query vectors: the
// 6-key tiles are packed by 8 x 8 transposes of 6 key rows and 2 zero rows,
// each column cut to its 6 keys; O tiles of 4 rows x 4 vectors would not fit,
// so 2 rows x 4 vectors, splats first as above.
// Q16-LABEL: func.func @gqa(
// Q16:         %[[KP:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x?x64x6xf32>
// Q16:         scf.parallel
// Q16:           scf.for
// Q16-COUNT-6:     vector.load {{.*}} vector<8xf32>
// Q16-COUNT-24:    vector.shuffle
// Q16:             vector.extract_strided_slice {{.*}} {offsets = [0], sizes = [6], strides = [1]} : vector<8xf32> to vector<6xf32>
// Q16:             vector.store {{.*}}, %[[KP]]{{.*}} vector<6xf32>
// Q16-DAG:         memref.alloca() {alignment = 64 : i64} : memref<96x16xf32>
// Q16-DAG:         memref.alloca() {alignment = 64 : i64} : memref<64x16xf32>
// Q16:             scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// Q16-COUNT-6:       memref.load %[[KP]]
// Q16-COUNT-12:      vector.fma
// With 16 lanes (32 vector registers on AVX-512) the S^T tile doubles: 12
// keys x 2 query vectors = 24 accumulators.
// W16-LABEL: func.func @gqa(
// W16:         memref.alloca() {alignment = 64 : i64} : memref<48x32xf32>
// W16:         scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// W16-COUNT-24: vector.fma {{.*}} : vector<16xf32>
func.func @gqa(%q: tensor<2x8x40x64xf32>, %k: tensor<2x2x300x64xf32>, %v: tensor<2x2x300x32xf32>) -> tensor<2x8x40x32xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<2x8x40x64xf32>, tensor<2x2x300x64xf32>, tensor<2x2x300x32xf32>) -> tensor<2x8x40x32xf32>
  return %o : tensor<2x8x40x32xf32>
}

// -----

// Causal/window: the key range is clipped per block, and only blocks that
// straddle the diagonal band are masked (scf.if on the block bounds).
// CHECK-LABEL: func.func @causal_window(
// CHECK:         scf.parallel
// CHECK:           arith.minsi
// CHECK:           arith.maxsi
// CHECK:           scf.for
// CHECK:             scf.if
// CHECK-NEXT:        } else {
// CHECK:               arith.remui {{.*}} : vector<8xi32>
// CHECK:               arith.cmpi sge, {{.*}} : vector<8xi32>
// CHECK:               arith.cmpi sle, {{.*}} : vector<8xi32>
// CHECK:               arith.select {{.*}} : vector<8xi1>, vector<8xf32>
func.func @causal_window(%q: tensor<1x2x64x32xf32>, %k: tensor<1x2x64x32xf32>, %v: tensor<1x2x64x32xf32>) -> tensor<1x2x64x32xf32> {
  %o = attn.sdpa %q, %k, %v {causal, window = array<i64: 16, 0>} : (tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>) -> tensor<1x2x64x32xf32>
  return %o : tensor<1x2x64x32xf32>
}

// -----

// Causal: each O register tile (3 rows x 4 vectors here) accumulates only the
// keys of the block up to its last row's diagonal, from its first row's
// start (both computed per tile): the keys past it have P = 0. Without a mask
// the tile takes every key of the block, from 0.
// CHECK-LABEL: func.func @causal_output_tiles(
// CHECK:         %{{.+}}:12 = scf.for %{{.+}} = %c0{{(_[0-9]+)?}} to %c32{{(_[0-9]+)?}} step
// CHECK:         %{{.+}}:12 = scf.for %{{.+}} = %{{[0-9]+}} to %{{[0-9]+}} step
// CHECK-SAME:        -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-LABEL: func.func @full_output_tiles(
// CHECK:         %{{.+}}:12 = scf.for %{{.+}} = %c0{{(_[0-9]+)?}} to %c32{{(_[0-9]+)?}} step
// CHECK:         %{{.+}}:12 = scf.for %{{.+}} = %c0{{(_[0-9]+)?}} to %{{[0-9]+}} step
// CHECK-SAME:        -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
func.func @causal_output_tiles(%q: tensor<1x2x64x32xf32>, %k: tensor<1x2x64x32xf32>, %v: tensor<1x2x64x32xf32>) -> tensor<1x2x64x32xf32> {
  %o = attn.sdpa %q, %k, %v {causal} : (tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>) -> tensor<1x2x64x32xf32>
  return %o : tensor<1x2x64x32xf32>
}
func.func @full_output_tiles(%q: tensor<1x2x64x32xf32>, %k: tensor<1x2x64x32xf32>, %v: tensor<1x2x64x32xf32>) -> tensor<1x2x64x32xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>) -> tensor<1x2x64x32xf32>
  return %o : tensor<1x2x64x32xf32>
}

// -----

// bf16 queries are widened when packed (rows loaded as vectors, transposed
// into Qt), and each K/V block once per task into f32 scratch (12 rows per
// kv head: two vectors of rows); a boolean mask selects -inf; softcap is a
// vector tanh; the result is truncated to bf16.
// CHECK-LABEL: func.func @bf16_mask_softcap(
// CHECK:         memref.alloca() {alignment = 64 : i64} : memref<16x16xf32>
// CHECK:         arith.extf {{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK:         vector.shuffle
// CHECK:         vector.store {{.*}} : memref<16x16xf32>, vector<8xf32>
// CHECK:         scf.for
// CHECK:           arith.extf {{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK:           vector.store {{.*}} : memref<96x16xf32>, vector<8xf32>
// CHECK:         math.tanh {{.*}} : vector<8xf32>
// CHECK:         memref.load {{.*}} : memref<1x1x1x40xi1>
// CHECK:         arith.select
// CHECK:         arith.truncf {{.*}} : vector<8xf32> to vector<8xbf16>
// CHECK-NEXT:    vector.store {{.*}} : memref<1x4x12x16xbf16>, vector<8xbf16>
func.func @bf16_mask_softcap(%q: tensor<1x4x12x16xbf16>, %k: tensor<1x4x40x16xbf16>, %v: tensor<1x4x40x16xbf16>, %m: tensor<1x1x1x40xi1>) -> tensor<1x4x12x16xbf16> {
  %o = attn.sdpa %q, %k, %v mask(%m) {softcap = 20.0 : f32} : (tensor<1x4x12x16xbf16>, tensor<1x4x40x16xbf16>, tensor<1x4x40x16xbf16>, tensor<1x1x1x40xi1>) -> tensor<1x4x12x16xbf16>
  return %o : tensor<1x4x12x16xbf16>
}

// -----

// Dv = 20 is not a whole number of vectors: the tail of each V row is a
// masked load, and each output row ends with a masked store of 4 lanes.
// CHECK-LABEL: func.func @value_tail(
// CHECK:         vector.create_mask
// CHECK:         vector.maskedload
// CHECK:         %[[C4:.+]] = arith.constant 4 : index
// CHECK:         %[[TAIL:.+]] = vector.create_mask %[[C4]] : vector<8xi1>
// CHECK:         vector.maskedstore %{{.*}}[%{{.*}}], %[[TAIL]], %{{.*}} : memref<1x1x8x20xf32>, vector<8xi1>, vector<8xf32>
func.func @value_tail(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>, %v: tensor<1x1x8x20xf32>) -> tensor<1x1x8x20xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x20xf32>) -> tensor<1x1x8x20xf32>
  return %o : tensor<1x1x8x20xf32>
}

// -----

// Stage ops are left for --convert-attn-to-linalg.
// CHECK-LABEL: func.func @stages_untouched(
// CHECK:         attn.scores
// CHECK-NOT:     scf.parallel
func.func @stages_untouched(%q: tensor<1x1x8x16xf32>, %k: tensor<1x1x8x16xf32>) -> tensor<1x1x8x8xf32> {
  %s = attn.scores %q, %k : (tensor<1x1x8x16xf32>, tensor<1x1x8x16xf32>) -> tensor<1x1x8x8xf32>
  return %s : tensor<1x1x8x8xf32>
}

// -----

// Decoding one head: with 4 threads to feed and a single row block, the keys
// are split 4 ways; partial outputs, maxima and sums are combined by
// log-sum-exp in a second parallel loop.
// CHECK-LABEL: func.func @decode_split_keys(
// CHECK-DAG:     memref.alloc({{.*}}) {alignment = 64 : i64} : memref<4x?x?x?x8x64xf32>
// CHECK-DAG:     memref.alloc({{.*}}) {alignment = 64 : i64} : memref<4x?x?x?x8xf32>
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}, %[[S:.*]]) = {{.*}} to ({{.*}}, %c4{{.*}})
// CHECK:           arith.ceildivui
// CHECK:           vector.store {{.*}} : memref<4x?x?x?x8xf32>, vector<8xf32>
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) =
// CHECK:           arith.maximumf
// CHECK:           math.exp2
// CHECK:           memref.store
func.func @decode_split_keys(%q: tensor<1x1x1x64xf32>, %k: tensor<1x1x4096x64xf32>, %v: tensor<1x1x4096x64xf32>) -> tensor<1x1x1x64xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x1x1x64xf32>, tensor<1x1x4096x64xf32>, tensor<1x1x4096x64xf32>) -> tensor<1x1x1x64xf32>
  return %o : tensor<1x1x1x64xf32>
}

// -----

// With 16 lanes and the default 48-row blocks the S^T tile has 8 keys, so K
// is packed by 8 x 8 transposes in registers (3 stages of shuffles): 4
// whole blocks of d, then the last 4 of D = 36 through masked loads.
// CHECK-LABEL: func.func @packed_keys_transposed(
// PACK-LABEL: func.func @packed_keys_transposed(
// PACK-DAG:     %[[KM:.+]] = bufferization.to_buffer %arg1 read_only
// PACK:         %[[KP:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x?x36x8xf32>
// PACK:         scf.parallel
// PACK:           scf.for
// PACK-COUNT-8:     vector.load %[[KM]]{{.*}} vector<8xf32>
// PACK-COUNT-24:    vector.shuffle
// PACK-COUNT-8:     vector.store {{.*}}, %[[KP]]{{.*}} vector<8xf32>
// PACK:           }
// PACK-COUNT-8:   vector.maskedload %[[KM]]
// PACK-COUNT-24:  vector.shuffle
// PACK-COUNT-4:   vector.store {{.*}}, %[[KP]]{{.*}} vector<8xf32>
// PACK-NOT:       vector.store {{.*}}, %[[KP]]
// PACK:         scf.parallel
func.func @packed_keys_transposed(%q: tensor<1x8x200x36xf32>, %k: tensor<1x2x150x36xf32>, %v: tensor<1x2x150x32xf32>) -> tensor<1x8x200x32xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x8x200x36xf32>, tensor<1x2x150x36xf32>, tensor<1x2x150x32xf32>) -> tensor<1x8x200x32xf32>
  return %o : tensor<1x8x200x32xf32>
}

// -----

// Past D=128 too, blocks of three vectors of rows (24 with 8 lanes): Qt and
// O (24 KiB each) outgrow L1, but the wider tiles' fewer loads per FMA still
// win.
// CHECK-LABEL: func.func @wide_head(
// CHECK-DAG:     memref.alloca() {alignment = 64 : i64} : memref<256x24xf32>
// CHECK-DAG:     memref.alloca() {alignment = 64 : i64} : memref<96x24xf32>
// CHECK-DAG:     memref.alloca() {alignment = 64 : i64} : memref<24x256xf32>
// CHECK-NOT:     memref.alloca() {alignment = 64 : i64} : memref<{{[0-9]+}}x16xf32>
func.func @wide_head(%q: tensor<1x2x64x256xf32>, %k: tensor<1x2x64x256xf32>, %v: tensor<1x2x64x256xf32>) -> tensor<1x2x64x256xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x2x64x256xf32>, tensor<1x2x64x256xf32>, tensor<1x2x64x256xf32>) -> tensor<1x2x64x256xf32>
  return %o : tensor<1x2x64x256xf32>
}

// -----

// bf16 with 100 rows per kv head: blocks of 24 rows reuse K and V often
// enough to pack them into f32 panels once per call, so the row blocks are
// f32's (Qt 16 x 24, P 96 x 24) rather than 64 rows widening blocks per task
// (K and V blocks of 96 x 16).
// CHECK-LABEL: func.func @bf16_packed_panels(
// CHECK:         %[[KP:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x?x16x4xf32>
// CHECK:         arith.extf {{.*}} : vector<4xbf16> to vector<4xf32>
// CHECK:         %[[VP:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x1x?x32xf32>
// CHECK:         arith.extf {{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK:         scf.parallel
// CHECK-DAG:       memref.alloca() {alignment = 64 : i64} : memref<16x24xf32>
// CHECK-DAG:       memref.alloca() {alignment = 64 : i64} : memref<96x24xf32>
// CHECK-NOT:       memref.alloca() {alignment = 64 : i64} : memref<96x16xf32>
// Q^T (16 x 24) is packed, O (24 x 16) zeroed, then no K/V widening in the
// key loop.
// CHECK:           arith.extf {{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK:           vector.store {{.*}} : memref<16x24xf32>, vector<8xf32>
// CHECK:           vector.store {{.*}} : memref<24x16xf32>, vector<8xf32>
// CHECK:           scf.for
// CHECK-NOT:         arith.extf {{.*}} : vector<8xbf16>
// CHECK:             memref.load %[[KP]]
// CHECK:             vector.load %[[VP]]
// CHECK:           arith.truncf {{.*}} : vector<8xf32> to vector<8xbf16>
func.func @bf16_packed_panels(%q: tensor<1x2x100x16xbf16>, %k: tensor<1x2x100x16xbf16>, %v: tensor<1x2x100x16xbf16>) -> tensor<1x2x100x16xbf16> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x2x100x16xbf16>, tensor<1x2x100x16xbf16>, tensor<1x2x100x16xbf16>) -> tensor<1x2x100x16xbf16>
  return %o : tensor<1x2x100x16xbf16>
}

// -----

// Decoding with 4 rows per kv head (8 query heads over 2 kv heads, one
// query): the rows go in Qr[4][D] and each score is a dot product along D.
// 2 keys x 4 rows = 8 accumulators, K rows loaded as vectors, then one
// transposing reduction (3 levels of 2 shuffles and an add per pair) puts
// the 8 scores in one vector, stored 4 rows per key into P.
// CHECK-LABEL: func.func @decode_dot_scores(
// CHECK-DAG:     %[[KM:.+]] = bufferization.to_buffer %arg1 read_only
// CHECK-DAG:     %[[VM:.+]] = bufferization.to_buffer %arg2 read_only
// CHECK:         scf.parallel
// CHECK-DAG:       %[[P:.+]] = memref.alloca() {alignment = 64 : i64} : memref<96x8xf32>
// CHECK-DAG:       %[[QR:.+]] = memref.alloca() {alignment = 64 : i64} : memref<4x64xf32>
// CHECK-NOT:       memref.alloca() {alignment = 64 : i64} : memref<64x8xf32>
// CHECK:           vector.store {{.*}}, %[[QR]]
// CHECK:           scf.for {{.*}} step %c2
// The V rows of the 2 keys (4 cache lines each) are asked for while K is
// read.
// CHECK-COUNT-8:       memref.prefetch %[[VM]][{{.*}}], read, locality<3>, data
// CHECK:             scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-2:       vector.load %[[KM]]
// CHECK-COUNT-4:       vector.load %[[QR]]
// CHECK-COUNT-8:       vector.fma
// CHECK:             vector.shuffle {{.*}} [0, 1, 2, 3, 8, 9, 10, 11]
// CHECK-COUNT-7:     arith.addf
// CHECK:             vector.extract_strided_slice {{.*}} {offsets = [0], sizes = [4], strides = [1]} : vector<8xf32> to vector<4xf32>
// CHECK:             vector.store {{.*}}, %[[P]]{{.*}} : memref<96x8xf32>, vector<4xf32>
// CHECK:             vector.extract_strided_slice {{.*}} {offsets = [4], sizes = [4], strides = [1]}
// CHECK:             vector.store {{.*}}, %[[P]]{{.*}} : memref<96x8xf32>, vector<4xf32>
func.func @decode_dot_scores(%q: tensor<2x8x1x64xf32>, %k: tensor<2x2x256x64xf32>, %v: tensor<2x2x256x64xf32>) -> tensor<2x8x1x64xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<2x8x1x64xf32>, tensor<2x2x256x64xf32>, tensor<2x2x256x64xf32>) -> tensor<2x8x1x64xf32>
  return %o : tensor<2x8x1x64xf32>
}

// -----

// Heads split and merged by transposes of [B, S, H, D] (the projections'
// layout): Q/K/V are read through strided memref.transpose views of the
// [B, S, H, D] tensors, and the result is written into a [B, S, H, D] buffer
// through a view, so that no transpose is left to copy.
// CHECK-LABEL: func.func @seq_major(
// CHECK-DAG:     %[[Q:.+]] = bufferization.to_buffer %arg0 read_only : tensor<2x40x4x32xf32> to memref<2x40x4x32xf32>
// CHECK-DAG:     memref.transpose %[[Q]] (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<2x40x4x32xf32> to memref<2x4x40x32xf32, strided<[5120, 32, 128, 1]>>
// CHECK-DAG:     %[[O:.+]] = memref.alloc() : memref<2x40x4x16xf32>
// CHECK-DAG:     memref.transpose %[[O]] (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<2x40x4x16xf32> to memref<2x4x40x16xf32, strided<[2560, 16, 64, 1]>>
// CHECK:         %[[R:.+]] = bufferization.to_tensor %[[O]] restrict writable : memref<2x40x4x16xf32>
// CHECK-NOT:     attn.sdpa
// CHECK-NOT:     linalg.transpose ins(%{{.*}} : tensor<2x4x40x16xf32>)
// CHECK:         return %[[R]]
func.func @seq_major(%qs: tensor<2x40x4x32xf32>, %ks: tensor<2x50x2x32xf32>, %vs: tensor<2x50x2x16xf32>) -> tensor<2x40x4x16xf32> {
  %qe = tensor.empty() : tensor<2x4x40x32xf32>
  %q = linalg.transpose ins(%qs : tensor<2x40x4x32xf32>) outs(%qe : tensor<2x4x40x32xf32>) permutation = [0, 2, 1, 3]
  %ke = tensor.empty() : tensor<2x2x50x32xf32>
  %k = linalg.transpose ins(%ks : tensor<2x50x2x32xf32>) outs(%ke : tensor<2x2x50x32xf32>) permutation = [0, 2, 1, 3]
  %ve = tensor.empty() : tensor<2x2x50x16xf32>
  %v = linalg.transpose ins(%vs : tensor<2x50x2x16xf32>) outs(%ve : tensor<2x2x50x16xf32>) permutation = [0, 2, 1, 3]
  %o = attn.sdpa %q, %k, %v {causal} : (tensor<2x4x40x32xf32>, tensor<2x2x50x32xf32>, tensor<2x2x50x16xf32>) -> tensor<2x4x40x16xf32>
  %re = tensor.empty() : tensor<2x40x4x16xf32>
  %r = linalg.transpose ins(%o : tensor<2x4x40x16xf32>) outs(%re : tensor<2x40x4x16xf32>) permutation = [0, 2, 1, 3]
  return %r : tensor<2x40x4x16xf32>
}

// -----

// Transposes that move the innermost dim (rows would not be contiguous), or
// a result used twice, stay copies.
// CHECK-LABEL: func.func @transposes_kept(
// CHECK:         %[[K:.+]] = linalg.transpose
// CHECK:         bufferization.to_buffer %[[K]] read_only : tensor<1x2x8x8xf32>
// CHECK-NOT:     memref.transpose
// CHECK:         %[[R:.+]] = bufferization.to_tensor {{.*}} : memref<1x2x8x8xf32>
// CHECK:         linalg.transpose ins(%[[R]]
func.func @transposes_kept(%q: tensor<1x2x8x8xf32>, %kt: tensor<1x2x8x8xf32>, %v: tensor<1x2x8x8xf32>) -> (tensor<1x2x8x8xf32>, tensor<1x8x2x8xf32>) {
  %ke = tensor.empty() : tensor<1x2x8x8xf32>
  %k = linalg.transpose ins(%kt : tensor<1x2x8x8xf32>) outs(%ke : tensor<1x2x8x8xf32>) permutation = [0, 1, 3, 2]
  %o = attn.sdpa %q, %k, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %re = tensor.empty() : tensor<1x8x2x8xf32>
  %r = linalg.transpose ins(%o : tensor<1x2x8x8xf32>) outs(%re : tensor<1x8x2x8xf32>) permutation = [0, 2, 1, 3]
  return %o, %r : tensor<1x2x8x8xf32>, tensor<1x8x2x8xf32>
}
