// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{amx=true}))" -split-input-file | FileCheck %s
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{amx=false}))" -split-input-file | FileCheck %s --check-prefix=OFF
// The AMX code lowers to the tile intrinsics (LLVM configures the tiles).
// RUN: attn-opt %s --attn-cpu-pipeline="amx=true" -split-input-file | FileCheck %s --check-prefix=LLVM

// bf16 with 4 x 100 rows per kv head. K and V are packed once into 1 KiB
// tile panels (D = 80 padded to 96, Dv = 40 to 48, Sk = 70 to one 128-key
// block): K^T as pairs of d per 16 keys (a 16 x 16 transpose of 32-bit
// pairs, in 4 stages of shuffles), V as pairs of keys (interleaved rows)
// per 32 keys and 16 columns. Per task of 32 rows, S = Q K^T and
// P V run on 16x32 bf16 tiles, the key-block loop software-pipelined over
// double buffers of S and P, and O = alpha O + P V in vectors.
// CHECK-LABEL: func.func @gqa_odd(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x100x80xbf16>, %[[K:[^:]+]]: tensor<2x2x70x80xbf16>, %[[V:[^:]+]]: tensor<2x2x70x40xbf16>
// CHECK-DAG:     %[[KM:.+]] = bufferization.to_buffer %[[K]] read_only
// CHECK-DAG:     %[[VM:.+]] = bufferization.to_buffer %[[V]] read_only
// CHECK:         %[[OUT:.+]] = memref.alloc() : memref<2x8x100x40xbf16>
// CHECK:         %[[KP:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x?x48x32xbf16>
// CHECK:         %[[VP:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x?x3x16x32xbf16>
// CHECK:         scf.parallel
// CHECK-COUNT-16:    vector.maskedload %[[KM]]
// CHECK-COUNT-64:    vector.shuffle {{.*}} : vector<16xi32>, vector<16xi32>
// CHECK:           vector.bitcast {{.*}} : vector<16xi32> to vector<32xbf16>
// CHECK:           vector.store {{.*}}, %[[KP]]{{.*}} vector<32xbf16>
// CHECK:           vector.maskedload %[[VM]]
// CHECK:           vector.maskedload %[[VM]]
// CHECK:           vector.interleave {{.*}} : vector<16xbf16> -> vector<32xbf16>
// CHECK:           vector.store {{.*}}, %[[VP]]
// CHECK:         scf.parallel
// CHECK:           memref.alloca_scope
// CHECK-DAG:         %[[QP:.+]] = memref.alloca() {alignment = 64 : i64} : memref<32x128xbf16>
// CHECK-DAG:         %[[S:.+]] = memref.alloca() {alignment = 64 : i64} : memref<2x32x144xf32>
// CHECK-DAG:         %[[P:.+]] = memref.alloca() {alignment = 64 : i64} : memref<2x32x160xbf16>
// CHECK-DAG:         %[[O:.+]] = memref.alloca() {alignment = 64 : i64} : memref<32x64xf32>
// S of the first block, before the loop: 2 x 8 accumulator tiles in 2 x 2
// groups, each the sum of 3 products over D.
// CHECK:             scf.if
// CHECK:               %[[S0:.+]] = memref.subview %[[S]][%{{.+}}, 0, 0] [1, 32, 144] [1, 1, 1]
// CHECK-COUNT-4:       amx.tile_zero : !amx.tile<16x16xf32>
// CHECK:               amx.tile_load %[[QP]]{{.*}} into !amx.tile<16x32xbf16>
// CHECK:               amx.tile_load %[[QP]]{{.*}} into !amx.tile<16x32xbf16>
// CHECK:               amx.tile_load %[[KP]]{{.*}} into !amx.tile<16x32xbf16>
// CHECK:               amx.tile_load %[[KP]]{{.*}} into !amx.tile<16x32xbf16>
// CHECK-COUNT-4:       amx.tile_mulf {{.*}} : !amx.tile<16x32xbf16>, !amx.tile<16x32xbf16>, !amx.tile<16x16xf32>
// CHECK:               amx.tile_store %[[S0]]
// CHECK:             scf.for
// P V of the previous block.
// CHECK:               scf.if
// CHECK:                 amx.tile_load %[[VP]]
// CHECK:                 amx.tile_mulf
// CHECK:                 amx.tile_store
// Online softmax on the rows (base 2), P rounded to bf16. The row max and
// sum reduce across lanes by shuffles (4 halvings), not vector.reduction.
// CHECK:               arith.cmpf ogt, {{.*}} : vector<16xf32>
// CHECK:               vector.shuffle {{.*}} [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7] : vector<16xf32>, vector<16xf32>
// CHECK:               vector.shuffle {{.*}} [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0] : vector<16xf32>, vector<16xf32>
// CHECK:               vector.extract {{.*}}[0] : f32 from vector<16xf32>
// CHECK:               math.floor {{.*}} : vector<16xf32>
// CHECK:               arith.truncf {{.*}} : vector<16xf32> to vector<16xbf16>
// CHECK:               vector.shuffle {{.*}} [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7] : vector<16xf32>, vector<16xf32>
// CHECK-NOT:           vector.reduction
// O = alpha O + P V of the previous block.
// CHECK:               scf.if
// CHECK:                 math.fma {{.*}} : vector<16xf32>
// CHECK:                 vector.store {{.*}}, %[[O]]
// S of the next block.
// CHECK:               scf.if
// CHECK:                 amx.tile_load %[[KP]]
// CHECK:           vector.maskedstore %[[OUT]]
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT:     attn.sdpa
// OFF-LABEL: func.func @gqa_odd(
// OFF-NOT:     amx.
// OFF:         vector.fma
// LLVM-LABEL: llvm.func @gqa_odd(
// LLVM:         llvm.call_intrinsic "llvm.x86.tileloadd64.internal"
// LLVM:         llvm.call_intrinsic "llvm.x86.tdpbf16ps.internal"
// LLVM:         llvm.call_intrinsic "llvm.x86.tilestored64.internal"
func.func @gqa_odd(%q: tensor<2x8x100x80xbf16>, %k: tensor<2x2x70x80xbf16>,
                   %v: tensor<2x2x70x40xbf16>) -> tensor<2x8x100x40xbf16> {
  %0 = attn.sdpa %q, %k, %v {causal}
      : (tensor<2x8x100x80xbf16>, tensor<2x2x70x80xbf16>, tensor<2x2x70x40xbf16>)
      -> tensor<2x8x100x40xbf16>
  return %0 : tensor<2x8x100x40xbf16>
}

// -----

// f32 stays on the vector kernel.
// CHECK-LABEL: func.func @f32(
// CHECK-NOT:     amx.
// CHECK:         vector.fma
// CHECK-NOT:     amx.
// CHECK:         return
func.func @f32(%q: tensor<1x2x64x32xf32>, %k: tensor<1x2x64x32xf32>,
               %v: tensor<1x2x64x32xf32>) -> tensor<1x2x64x32xf32> {
  %0 = attn.sdpa %q, %k, %v
      : (tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>)
      -> tensor<1x2x64x32xf32>
  return %0 : tensor<1x2x64x32xf32>
}

// -----

// Decoding (4 rows per kv head, fewer than a tile's 16) stays on the vector
// kernel, with its keys split across tasks.
// CHECK-LABEL: func.func @decode(
// CHECK-NOT:     amx.
// CHECK:         vector.fma
// CHECK-NOT:     amx.
// CHECK:         return
func.func @decode(%q: tensor<1x32x1x128xbf16>, %k: tensor<1x8x4096x128xbf16>,
                  %v: tensor<1x8x4096x128xbf16>) -> tensor<1x32x1x128xbf16> {
  %0 = attn.sdpa %q, %k, %v
      : (tensor<1x32x1x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x8x4096x128xbf16>)
      -> tensor<1x32x1x128xbf16>
  return %0 : tensor<1x32x1x128xbf16>
}

// -----

// With both options, AMX tiles take bf16 attention rather than vector dot
// products.
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{amx=true bf16-dot=true}))" -split-input-file | FileCheck %s --check-prefix=BOTH
// BOTH-LABEL: func.func @amx_before_dots(
// BOTH:         amx.tile_mulf
// BOTH-NOT:     x86vector.avx512.dot
// BOTH:         return
func.func @amx_before_dots(%q: tensor<1x2x64x32xbf16>, %k: tensor<1x2x64x32xbf16>,
                           %v: tensor<1x2x64x32xbf16>) -> tensor<1x2x64x32xbf16> {
  %0 = attn.sdpa %q, %k, %v
      : (tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>)
      -> tensor<1x2x64x32xbf16>
  return %0 : tensor<1x2x64x32xbf16>
}
