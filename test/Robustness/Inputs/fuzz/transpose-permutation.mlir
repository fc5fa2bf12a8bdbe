func.func @f(%k: tensor<4x2xf32>, %e: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %t = linalg.transpose ins(%k : tensor<4x2xf32>) outs(%e : tensor<2x4xf32>) permutation = [1 }
  return %t : tensor<2x4xf32>
}
