// B=4 H=16 D=128 f16, the shape of the GPU benchmark's largest rows.
func.func @sdpa(%q: tensor<4x16x?x128xf16>, %k: tensor<4x16x?x128xf16>, %v: tensor<4x16x?x128xf16>) -> tensor<4x16x?x128xf16> {
  %o = attn.sdpa %q, %k, %v : (tensor<4x16x?x128xf16>, tensor<4x16x?x128xf16>, tensor<4x16x?x128xf16>) -> tensor<4x16x?x128xf16>
  return %o : tensor<4x16x?x128xf16>
}
