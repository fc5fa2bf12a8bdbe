func.func @two(%q: tensor<1x1x16x16xf16>) -> tensor<1x1x16x16xf16> {
  %a = attn.sdpa %q, %q, %q : (tensor<1x1x16x16xf16>, tensor<1x1x16x16xf16>, tensor<1x1x16x16xf16>) -> tensor<1x1x16x16xf16>
  %b = attn.sdpa %a, %q, %q : (tensor<1x1x16x16xf16>, tensor<1x1x16x16xf16>, tensor<1x1x16x16xf16>) -> tensor<1x1x16x16xf16>
  return %b : tensor<1x1x16x16xf16>
}
func.func @none(%x: tensor<4xf16>) -> tensor<4xf16> {
  return %x : tensor<4xf16>
}
