// The lists the guard looks at, well formed (and in a comment: permutation = [x).
func.func @f(%k: tensor<4x2xf32>, %e: tensor<2x4xf32>, %b: tensor<2xf32>, %e2: tensor<2x3xf32>) -> (tensor<2x4xf32>, tensor<2x3xf32>) {
  %t = linalg.transpose ins(%k : tensor<4x2xf32>) outs(%e : tensor<2x4xf32>) permutation = [1, 0]
  %r = linalg.broadcast ins(%b : tensor<2xf32>) outs(%e2 : tensor<2x3xf32>) dimensions = [1]
  return %t, %r : tensor<2x4xf32>, tensor<2x3xf32>
}
