// RUN: attn-opt %s --attn-decompose-aggregates --split-input-file | FileCheck %s

// linalg.softmax becomes its max/sub-exp/sum/div generics.
// CHECK-LABEL: func.func @softmax_last_dim(
// CHECK-NOT:     linalg.softmax
// CHECK:         linalg.generic {{.*}}"reduction"
// CHECK:           arith.maxnumf
// CHECK:         linalg.generic
// CHECK:           arith.subf
// CHECK:           math.exp
// CHECK:         linalg.generic {{.*}}"reduction"
// CHECK:           arith.addf
// CHECK:         linalg.generic
// CHECK:           arith.divf
func.func @softmax_last_dim(%s: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %e = tensor.empty() : tensor<2x8x16xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<2x8x16xf32>) outs(%e : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %p : tensor<2x8x16xf32>
}

// -----

// Other ops are left as they are.
// CHECK-LABEL: func.func @no_aggregates(
// CHECK-NEXT:    %[[R:.*]] = linalg.matmul
// CHECK-NEXT:    return %[[R]]
func.func @no_aggregates(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>, %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}
