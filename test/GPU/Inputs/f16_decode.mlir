// One decoding step of grouped-query attention (32 query heads, 8 kv heads,
// 4096 cached keys): few row tiles, so the keys are split across blocks.
func.func @decode(%q: tensor<1x32x1x128xf16>, %k: tensor<1x8x4096x128xf16>, %v: tensor<1x8x4096x128xf16>) -> tensor<1x32x1x128xf16> {
  %o = attn.sdpa %q, %k, %v : (tensor<1x32x1x128xf16>, tensor<1x8x4096x128xf16>, tensor<1x8x4096x128xf16>) -> tensor<1x32x1x128xf16>
  return %o : tensor<1x32x1x128xf16>
}
