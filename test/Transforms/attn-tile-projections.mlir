// RUN: attn-opt %s --pass-pipeline="builtin.module(func.func(attn-tile-projections{vector-width=8}))" -split-input-file | FileCheck %s

// The weight is packed as Wt[n tile][k][16], then parallel tiles of
// 6 rows x 2 vectors accumulate 12 FMAs per k; D = 16 is whole vectors, so
// results are stored as vectors straight into [B, H, S, D].
// CHECK-LABEL: func.func @project_bias(
// CHECK:         %[[OUT:.+]] = memref.alloc() : memref<2x4x16x16xf32>
// CHECK:         %[[WT:.+]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<1x4x?x16xf32>
// CHECK:         scf.parallel
// CHECK:           memref.store {{.*}}, %[[WT]]
// CHECK:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}, %{{.*}}) to (%{{.*}}, %c4{{.*}}, %{{.*}})
// CHECK:           scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-12:    vector.fma
// CHECK:           vector.store {{.*}}, %[[OUT]]
// CHECK:         bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT:     attn.project
func.func @project_bias(%x: tensor<2x16x32xf32>, %w: tensor<64x32xf32>, %b: tensor<64xf32>) -> tensor<2x4x16x16xf32> {
  %q = attn.project %x, %w bias(%b) {num_heads = 4 : i64} : (tensor<2x16x32xf32>, tensor<64x32xf32>, tensor<64xf32>) -> tensor<2x4x16x16xf32>
  return %q : tensor<2x4x16x16xf32>
}

// -----

// D = 12 splits vectors across heads: lanes are stored one by one.
// CHECK-LABEL: func.func @project_odd_head_dim(
// CHECK:         vector.extract
// CHECK:         memref.store
// CHECK-NOT:     vector.store {{.*}} : memref<1x3x5x12xf16>
func.func @project_odd_head_dim(%x: tensor<1x5x20xf16>, %w: tensor<36x20xf16>) -> tensor<1x3x5x12xf16> {
  %q = attn.project %x, %w {num_heads = 3 : i64} : (tensor<1x5x20xf16>, tensor<36x20xf16>) -> tensor<1x3x5x12xf16>
  return %q : tensor<1x3x5x12xf16>
}

// -----

// The output projection reduces over (h, d) of a[b, h, s, d] with two
// nested loops and stores rows of [B, S, E].
// CHECK-LABEL: func.func @output_project(
// CHECK:         scf.parallel
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK:               vector.fma
// CHECK:           vector.store {{.*}} : memref<?x?x32xf32>, vector<8xf32>
func.func @output_project(%a: tensor<?x4x?x8xf32>, %w: tensor<32x32xf32>, %b: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %y = attn.output_project %a, %w bias(%b) : (tensor<?x4x?x8xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}
