// A boolean mask and an f32 result from f16 inputs.
func.func @sdpa(%q: tensor<2x4x77x64xf16>, %k: tensor<2x4x131x64xf16>, %v: tensor<2x4x131x64xf16>, %m: tensor<2x1x77x131xi1>) -> tensor<2x4x77x64xf32> {
  %o = attn.sdpa %q, %k, %v mask(%m) : (tensor<2x4x77x64xf16>, tensor<2x4x131x64xf16>, tensor<2x4x131x64xf16>, tensor<2x1x77x131xi1>) -> tensor<2x4x77x64xf32>
  return %o : tensor<2x4x77x64xf32>
}
