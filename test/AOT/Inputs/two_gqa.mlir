func.func @two_gqa(%q: tensor<1x4x7x24xf32>, %k: tensor<1x1x33x24xf32>, %v: tensor<1x1x33x20xf32>) -> tensor<1x4x7x20xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x4x7x24xf32>, tensor<1x1x33x24xf32>, tensor<1x1x33x20xf32>) -> tensor<1x4x7x20xf32>
  return %o : tensor<1x4x7x20xf32>
}
