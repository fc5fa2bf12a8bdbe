func.func @bf16(%q: tensor<1x2x64x32xbf16>, %k: tensor<1x2x64x32xbf16>,
                %v: tensor<1x2x64x32xbf16>) -> tensor<1x2x64x32xbf16> {
  %0 = attn.sdpa %q, %k, %v {causal}
      : (tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>, tensor<1x2x64x32xbf16>)
      -> tensor<1x2x64x32xbf16>
  return %0 : tensor<1x2x64x32xbf16>
}
