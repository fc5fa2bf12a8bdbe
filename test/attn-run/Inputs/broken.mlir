func.func @main(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %o = attn.sdpa %q, %q : (tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
