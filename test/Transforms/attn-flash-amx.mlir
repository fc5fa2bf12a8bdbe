// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{amx=true}))" -split-input-file | FileCheck %s
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{amx=false}))" -split-input-file | FileCheck %s --check-prefix=OFF
// The AMX code lowers to the tile intrinsics (LLVM configures the tiles).
// RUN: attn-opt %s --attn-cpu-pipeline="amx=true" -split-input-file | FileCheck %s --check-prefix=LLVM

// bf16 with 8 x 100 rows per kv head: K and V packed once into pair layout
// (D = 80 padded to 96, Dv = 40 to 48, Sk = 70 to whole 64-key blocks), then
// per task of 32 rows S = Q K^T and O += P V on 16x32 bf16 tiles.
// CHECK-LABEL: func.func @gqa_odd(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x100x80xbf16>, %[[K:[^:]+]]: tensor<2x2x70x80xbf16>, %[[V:[^:]+]]: tensor<2x2x70x40xbf16>
// CHECK-DAG:     %[[KM:.+]] = bufferization.to_buffer %[[K]] read_only
// CHECK-DAG:     %[[VM:.+]] = bufferization.to_buffer %[[V]] read_only
// CHECK:         %[[OUT:.+]] = memref.alloc() : memref<2x8x100x40xbf16>
// CHECK:         %[[KP:.+]] = memref.alloc({{.*}}) : memref<?x?x48x?xbf16>
// CHECK:         %[[VP:.+]] = memref.alloc({{.*}}) : memref<?x?x?x96xbf16>
// CHECK:         scf.parallel
// CHECK:           memref.load %[[KM]]
// CHECK:           memref.store {{.*}}, %[[KP]]
// CHECK:           memref.load %[[VM]]
// CHECK:           memref.store {{.*}}, %[[VP]]
// CHECK:         scf.parallel
// CHECK:           memref.alloca_scope
// CHECK-DAG:         %[[QP:.+]] = memref.alloca() : memref<32x96xbf16>
// CHECK-DAG:         %[[S:.+]] = memref.alloca() : memref<32x64xf32>
// CHECK-DAG:         %[[P:.+]] = memref.alloca() : memref<32x64xbf16>
// CHECK-DAG:         %[[O:.+]] = memref.alloca() : memref<32x48xf32>
// CHECK:             scf.for
// Scores: 2 x 4 accumulator tiles, each the sum of 3 products over D.
// CHECK-COUNT-8:       amx.tile_zero : !amx.tile<16x16xf32>
// CHECK:               amx.tile_load %[[QP]]{{.*}} into !amx.tile<16x32xbf16>
// CHECK:               amx.tile_load %[[KP]]{{.*}} into !amx.tile<16x32xbf16>
// CHECK:               amx.tile_mulf {{.*}} : !amx.tile<16x32xbf16>, !amx.tile<16x32xbf16>, !amx.tile<16x16xf32>
// CHECK:               amx.tile_store %[[S]]
// Online softmax on the rows, P rounded to bf16.
// CHECK:               vector.reduction <maximumf>
// CHECK:               math.exp {{.*}} : vector<16xf32>
// CHECK:               arith.truncf {{.*}} : vector<16xf32> to vector<16xbf16>
// CHECK:               vector.store {{.*}}, %[[P]]
// O += P V, accumulating into the loaded O tiles.
// CHECK:               amx.tile_load %[[O]]{{.*}} into !amx.tile<16x16xf32>
// CHECK:               amx.tile_load %[[P]]
// CHECK:               amx.tile_load %[[VP]]
// CHECK:               amx.tile_mulf
// CHECK:               amx.tile_store %[[O]]
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
