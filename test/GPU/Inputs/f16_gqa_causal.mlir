// Grouped-query causal attention, D=64, f16.
func.func @sdpa(%q: tensor<2x8x100x64xf16>, %k: tensor<2x2x130x64xf16>, %v: tensor<2x2x130x64xf16>) -> tensor<2x8x100x64xf16> {
  %o = attn.sdpa %q, %k, %v {causal} : (tensor<2x8x100x64xf16>, tensor<2x2x130x64xf16>, tensor<2x2x130x64xf16>) -> tensor<2x8x100x64xf16>
  return %o : tensor<2x8x100x64xf16>
}
