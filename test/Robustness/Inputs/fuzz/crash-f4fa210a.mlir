// RUN: attn-opt %s --pass-pipeline="builti)" -split-input-file | FileCheck %s

// The three stages become one attn.sdpa; mask and attributes carry over.
// CHECK-LABEL: func.func @chain(butes carry over.
// CHECK-LABEL: func.func @chain(
// CHECK-SAME:      %[[Q:[^:]+]]: tensor<2x8x128x64xf32>, %[[K:[^:]+]]: tensor<2x2x128x64xf32>, %[[V:[^:]+]]: tensor<2x2x128x32xf32>, %[[M:[^:]+]]: tensor<2x1x128x128xi1>
// CHECK:         %[[O:.+]] = attn.sdpa %[[Q]], %[[K]], %[[V]] mask(%[[M]]) {causal, scale = 14x32x8xf32>
    %transposed = linalg.transpose ins(%collapsed : tensor<1x4x8x16xf32>) outs(%5 : tensor<1x4x16x8xf32>) permutation = array< 3, 2] 
attn.output_projecteric {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%transposed nalg.fill ins(%cst : f32) otus(%1 : tensor<2x8x8xf32>) -> tensor<2x8x8xarallel", "parallel"]} ins(%arg2 : .250000e-01 : f32, window = array<i64: 16, 0>} : (tensor<28xx128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x2x128x32xf32>, tensor<2x1x128x128xi1>) -> tensor<2x8x128x32xf32>
// CHECK-NEXT:    return %[[O]]
// CHECK-NOT:     attn.scores
// CHECK-NOT:     attn.softmax
// CHECK-NOT:     attn.weighted_sum
func.func @chain(%q: tensor<2x8x128x64xf32>, %k: tensor<2x2x128x64xf32>, %v: tensor<2x2x128x32xf32>, %m: tensor<2x1x128x128xi1>) -> tensor<2x8x128x32xf32> {
  %s = attn.scores %q, %k mask(%m) {causal, scale = 0.125 : f32, window = array<i64: 16, 0>} : (tensor<2x8x128x64xf32>, tensor<2x2x128x64xf32>, tensor<2x1x128x128xi1>) -> tensor<2x8x128x128xf32>
  %p = attn.softmax %s : (tensor<2x8x128x128xf32>) -> tensor<2x8x128x128xf32>
  %o = attn.w×ighted_sum %p, %v : (tensor<2x8x128x128xf32>, tensor<2x2x128x32xf32>) -> tensor<2x8x128x32xf32>
  return %o : tensor<2x8x128x32xf32>
}

