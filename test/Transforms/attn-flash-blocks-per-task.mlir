// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=8 threads=4 blocks-per-task=4}))" -split-input-file | FileCheck %s
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=8 threads=4 blocks-per-task=1}))" -split-input-file | FileCheck %s --check-prefix=ONE
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=16 threads=4}))" -split-input-file | FileCheck %s --check-prefix=AUTO16
// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-flash{vector-width=8 threads=4}))" -split-input-file | FileCheck %s --check-prefix=AUTO8

// Four row blocks per task: the parallel loop runs over groups of blocks;
// each block keeps its own O, Q^T, running max and sum; they take turns on
// each key block, and a block whose causal range has ended skips it.
// CHECK-LABEL: func.func @causal_gqa(
// CHECK:         %[[BLOCKS:.+]] = arith.ceildivui %{{.+}}, %c24 : index
// CHECK:         %[[GROUPS:.+]] = arith.ceildivui %[[BLOCKS]], %c4{{.*}} : index
// CHECK:         scf.parallel (%{{.+}}, %{{.+}}, %{{.+}}) = ({{.+}}) to (%{{.+}}, %{{.+}}, %[[GROUPS]])
// CHECK-DAG:       memref.alloca() {alignment = 64 : i64} : memref<4x24x32xf32>
// CHECK-DAG:       memref.alloca() {alignment = 64 : i64} : memref<4x32x24xf32>
// CHECK-DAG:       memref.alloca() {alignment = 64 : i64} : memref<96x24xf32>
// CHECK:           scf.for
// CHECK:             memref.subview %{{.+}}[%{{.+}}, 0, 0] [1, 32, 24] [1, 1, 1] : memref<4x32x24xf32> to memref<32x24xf32, strided<[24, 1], offset: ?>>
// CHECK:           scf.for %[[J0:.+]] = %{{.+}} to %{{.+}} step %c96
// CHECK:             scf.for
// CHECK:               %[[LIVE:.+]] = arith.cmpi ult, %[[J0]], %{{.+}} : index
// CHECK:               scf.if %[[LIVE]] {
// ONE-LABEL: func.func @causal_gqa(
// ONE-NOT:     memref<4x24x32xf32>
// ONE:         memref.alloca() {alignment = 64 : i64} : memref<24x32xf32>
// ONE-NOT:     memref<4x24x32xf32>
func.func @causal_gqa(%q: tensor<1x4x100x32xf32>, %k: tensor<1x2x100x32xf32>, %v: tensor<1x2x100x32xf32>) -> tensor<1x4x100x32xf32> {
  %o = attn.sdpa %q, %k, %v {causal} : (tensor<1x4x100x32xf32>, tensor<1x2x100x32xf32>, tensor<1x2x100x32xf32>) -> tensor<1x4x100x32xf32>
  return %o : tensor<1x4x100x32xf32>
}

// -----

// A sliding window starts each block's key range elsewhere: one block per
// task.
// CHECK-LABEL: func.func @window(
// CHECK-NOT:     memref<4x24x32xf32>
// CHECK:         memref.alloca() {alignment = 64 : i64} : memref<24x32xf32>
// CHECK-NOT:     memref<4x24x32xf32>
func.func @window(%q: tensor<1x4x100x32xf32>, %k: tensor<1x2x100x32xf32>, %v: tensor<1x2x100x32xf32>) -> tensor<1x4x100x32xf32> {
  %o = attn.sdpa %q, %k, %v {window = array<i64: 16, 0>} : (tensor<1x4x100x32xf32>, tensor<1x2x100x32xf32>, tensor<1x2x100x32xf32>) -> tensor<1x4x100x32xf32>
  return %o : tensor<1x4x100x32xf32>
}

// -----

// Too few rows per kv head to pack K and V into panels: one block per task.
// CHECK-LABEL: func.func @no_panels(
// CHECK-NOT:     memref<4x24x32xf32>
// CHECK:         memref.alloca() {alignment = 64 : i64} : memref<24x32xf32>
// CHECK-NOT:     memref<4x24x32xf32>
func.func @no_panels(%q: tensor<1x2x40x32xf32>, %k: tensor<1x2x40x32xf32>, %v: tensor<1x2x40x32xf32>) -> tensor<1x2x40x32xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x2x40x32xf32>, tensor<1x2x40x32xf32>, tensor<1x2x40x32xf32>) -> tensor<1x2x40x32xf32>
  return %o : tensor<1x2x40x32xf32>
}

// -----

// By default, four blocks per task with 16 lanes once a kv head's f32 K and
// V panels take more than 1 MiB (here 2048 x (128 + 128) x 4 bytes = 2 MiB),
// one with 8 lanes.
// AUTO16-LABEL: func.func @auto_large(
// AUTO16:         arith.ceildivui %{{.+}}, %c4{{.*}} : index
// AUTO16:         memref.alloca() {alignment = 64 : i64} : memref<4x48x128xf32>
// AUTO8-LABEL:  func.func @auto_large(
// AUTO8-NOT:      memref<4x24x128xf32>
// AUTO8:          memref.alloca() {alignment = 64 : i64} : memref<24x128xf32>
// AUTO8-NOT:      memref<4x24x128xf32>
func.func @auto_large(%q: tensor<1x1x2048x128xf32>, %k: tensor<1x1x2048x128xf32>, %v: tensor<1x1x2048x128xf32>) -> tensor<1x1x2048x128xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x1x2048x128xf32>, tensor<1x1x2048x128xf32>, tensor<1x1x2048x128xf32>) -> tensor<1x1x2048x128xf32>
  return %o : tensor<1x1x2048x128xf32>
}

// -----

// Panels of exactly 1 MiB (2048 x (64 + 64) x 4 bytes) stay one block per
// task.
// AUTO16-LABEL: func.func @auto_small(
// AUTO16-NOT:     memref<4x48x64xf32>
// AUTO16:         memref.alloca() {alignment = 64 : i64} : memref<48x64xf32>
// AUTO16-NOT:     memref<4x48x64xf32>
func.func @auto_small(%q: tensor<1x1x2048x64xf32>, %k: tensor<1x1x2048x64xf32>, %v: tensor<1x1x2048x64xf32>) -> tensor<1x1x2048x64xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x1x2048x64xf32>, tensor<1x1x2048x64xf32>, tensor<1x1x2048x64xf32>) -> tensor<1x1x2048x64xf32>
  return %o : tensor<1x1x2048x64xf32>
}
