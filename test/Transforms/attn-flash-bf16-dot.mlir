// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{bf16-dot=true}))" -split-input-file | FileCheck %s
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{bf16-dot=false}))" -split-input-file | FileCheck %s --check-prefix=OFF
// The dot products lower to the AVX-512 BF16 intrinsic.
// RUN: attn-opt %s --attn-cpu-pipeline="bf16-dot=true" -split-input-file | FileCheck %s --check-prefix=LLVM
// A value that is not a boolean is refused before any IR is touched.
// RUN: not attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{bf16-dot=maybe}))" -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not attn-opt %s --attn-cpu-pipeline="bf16-dot=maybe" -split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: 'maybe' is invalid value for boolean argument

// bf16 with 4 x 100 rows per kv head, on vdpbf16ps. K and V are packed into
// the AMX kernel's panels (D = 80 padded to 96, Dv = 40 to 48): a pair row
// of Kp is 16 keys x 2 d, one of Vp 16 columns x 2 keys. Per task of 48
// rows, S = Q K^T runs in register tiles of 6 rows x 4 key vectors (24
// accumulators) over the 40 pairs of d, each step broadcasting a pair of
// each row's queries (32 bits) and loading one Kp vector per 6 products;
// under the causal mask a tile whose 6 rows drop all its 64 keys runs no
// step. After the online softmax, O = alpha O + P V runs in tiles of 6 rows
// x 3 vectors of Dv, loaded and scaled by alpha before the key pairs and
// stored after them, over the pairs of keys that the tile's rows keep.
// CHECK-LABEL: func.func @gqa_odd(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x100x80xbf16>, %[[K:[^:]+]]: tensor<2x2x70x80xbf16>, %[[V:[^:]+]]: tensor<2x2x70x40xbf16>
// CHECK:         %[[OUT:.+]] = memref.alloc() : memref<2x8x100x40xbf16>
// CHECK:         %[[KP:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x?x48x32xbf16>
// CHECK:         %[[VP:.+]] = memref.alloc({{.*}}) {alignment = 64 : i64} : memref<?x?x?x3x16x32xbf16>
// CHECK:         scf.parallel
// CHECK:           vector.interleave {{.*}} : vector<16xbf16> -> vector<32xbf16>
// CHECK:         scf.parallel
// CHECK:           memref.alloca_scope
// CHECK-DAG:         %[[QP:.+]] = memref.alloca() {alignment = 64 : i64} : memref<48x128xbf16>
// CHECK-DAG:         %[[S:.+]] = memref.alloca() {alignment = 64 : i64} : memref<1x48x144xf32>
// CHECK-DAG:         %[[P:.+]] = memref.alloca() {alignment = 64 : i64} : memref<1x48x160xbf16>
// CHECK-DAG:         %[[O:.+]] = memref.alloca() {alignment = 64 : i64} : memref<48x64xf32>
// CHECK-NOT:         memref.alloca() {alignment = 64 : i64} : memref<48x64xf32>
// CHECK:             %[[S0:.+]] = memref.subview %[[S]][%{{.+}}, 0, 0] [1, 48, 144] [1, 1, 1]
// CHECK:             %[[P0:.+]] = memref.subview %[[P]][%{{.+}}, 0, 0] [1, 48, 160] [1, 1, 1]
// CHECK:             scf.for
// CHECK:               scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c6
// CHECK:                 %[[SEND:.+]] = arith.select %{{.+}}, %c40, %c0{{.*}} : index
// CHECK:                 %{{.+}}:24 = scf.for %{{.+}} = %{{.+}} to %[[SEND]] step %{{.+}} iter_args
// CHECK-COUNT-6:           vector.load %[[QP]][{{.*}}] : memref<48x128xbf16>, vector<2xbf16>
// CHECK:                   vector.broadcast {{.*}} : i32 to vector<16xi32>
// CHECK:                   vector.load %[[KP]]{{.*}} vector<32xbf16>
// CHECK-COUNT-6:           x86vector.avx512.dot {{.*}} : vector<32xbf16> -> vector<16xf32>
// CHECK:                   vector.load %[[KP]]{{.*}} vector<32xbf16>
// CHECK-COUNT-6:           x86vector.avx512.dot
// CHECK:                   scf.yield
// CHECK-COUNT-24:        vector.store {{.*}}, %[[S0]]
// CHECK:               arith.truncf {{.*}} : vector<16xf32> to vector<16xbf16>
// CHECK:               scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c6
// CHECK:                 vector.load %[[O]]
// CHECK:                 arith.mulf {{.*}} : vector<16xf32>
// CHECK:                 arith.maxsi
// CHECK:                 %[[PFROM:.+]] = arith.divui %{{.+}}, %c2{{(_[0-9]+)?}} : index
// CHECK:                 %[[PTO:.+]] = arith.ceildivui %{{.+}}, %c2{{(_[0-9]+)?}} : index
// CHECK:                 %{{.+}}:18 = scf.for %{{.+}} = %[[PFROM]] to %[[PTO]] step %{{.+}} iter_args
// CHECK-COUNT-6:           vector.load %[[P0]][{{.*}}] : memref<48x160xbf16, strided<[160, 1], offset: ?>>, vector<2xbf16>
// CHECK:                   vector.load %[[VP]]{{.*}} vector<32xbf16>
// CHECK-COUNT-6:           x86vector.avx512.dot
// CHECK:                   scf.yield
// CHECK-COUNT-18:        vector.store {{.*}}, %[[O]]
// CHECK:           vector.maskedstore %[[OUT]]
// CHECK-NOT:       amx.
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
// OFF-LABEL: func.func @gqa_odd(
// OFF-NOT:     x86vector.avx512.dot
// OFF:         vector.fma
// LLVM-LABEL: llvm.func @gqa_odd(
// LLVM-COUNT-48: llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"
// LLVM-COUNT-18: llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"
// LLVM-NOT:      llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"
// LLVM:          llvm.return
func.func @gqa_odd(%q: tensor<2x8x100x80xbf16>, %k: tensor<2x2x70x80xbf16>,
                   %v: tensor<2x2x70x40xbf16>) -> tensor<2x8x100x40xbf16> {
  %0 = attn.sdpa %q, %k, %v {causal}
      : (tensor<2x8x100x80xbf16>, tensor<2x2x70x80xbf16>, tensor<2x2x70x40xbf16>)
      -> tensor<2x8x100x40xbf16>
  return %0 : tensor<2x8x100x40xbf16>
}

// -----

// Without a mask every S tile runs all pairs of d, and every O tile the
// pairs of the block's keys (Sk = 200: 128, then 72).
// CHECK-LABEL: func.func @full(
// CHECK:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c6
// CHECK-NOT:       arith.select
// CHECK:           %{{.+}}:24 = scf.for %{{.+}} = %{{.+}} to %c32 step %{{.+}} iter_args
// CHECK:         scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c6
// CHECK-NOT:       arith.maxsi
// CHECK:           %[[PTO:.+]] = arith.ceildivui %{{.+}}, %c2{{(_[0-9]+)?}} : index
// CHECK:           %{{.+}}:24 = scf.for %{{.+}} = %{{.+}} to %[[PTO]] step %{{.+}} iter_args
func.func @full(%q: tensor<1x2x100x64xbf16>, %k: tensor<1x2x200x64xbf16>,
                %v: tensor<1x2x200x64xbf16>) -> tensor<1x2x100x64xbf16> {
  %0 = attn.sdpa %q, %k, %v
      : (tensor<1x2x100x64xbf16>, tensor<1x2x200x64xbf16>, tensor<1x2x200x64xbf16>)
      -> tensor<1x2x100x64xbf16>
  return %0 : tensor<1x2x100x64xbf16>
}

// -----

// f32 stays on the FMA kernel.
// CHECK-LABEL: func.func @f32(
// CHECK-NOT:     x86vector.avx512.dot
// CHECK:         vector.fma
// CHECK-NOT:     x86vector.avx512.dot
// CHECK:         return
func.func @f32(%q: tensor<1x2x64x32xf32>, %k: tensor<1x2x64x32xf32>,
               %v: tensor<1x2x64x32xf32>) -> tensor<1x2x64x32xf32> {
  %0 = attn.sdpa %q, %k, %v
      : (tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>, tensor<1x2x64x32xf32>)
      -> tensor<1x2x64x32xf32>
  return %0 : tensor<1x2x64x32xf32>
}

// -----

// Decoding (4 rows per kv head, fewer than 16) stays on the FMA kernel,
// with its keys split across tasks.
// CHECK-LABEL: func.func @decode(
// CHECK-NOT:     x86vector.avx512.dot
// CHECK:         vector.fma
// CHECK-NOT:     x86vector.avx512.dot
// CHECK:         return
func.func @decode(%q: tensor<1x32x1x128xbf16>, %k: tensor<1x8x4096x128xbf16>,
                  %v: tensor<1x8x4096x128xbf16>) -> tensor<1x32x1x128xbf16> {
  %0 = attn.sdpa %q, %k, %v
      : (tensor<1x32x1x128xbf16>, tensor<1x8x4096x128xbf16>, tensor<1x8x4096x128xbf16>)
      -> tensor<1x32x1x128xbf16>
  return %0 : tensor<1x32x1x128xbf16>
}

