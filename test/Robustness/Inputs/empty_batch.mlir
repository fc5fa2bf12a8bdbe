func.func @main(%q: tensor<0x2x4x8xf32>, %k: tensor<0x2x5x8xf32>, %v: tensor<0x2x5x8xf32>) -> tensor<0x2x4x8xf32> {
  %o = attn.sdpa %q, %k, %v : (tensor<0x2x4x8xf32>, tensor<0x2x5x8xf32>, tensor<0x2x5x8xf32>) -> tensor<0x2x4x8xf32>
  return %o : tensor<0x2x4x8xf32>
}
