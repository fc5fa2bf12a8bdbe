// Grouped-query attention: 8 query heads share 2 key/value heads, with a
// causal mask (bottom-right aligned) and a padding mask broadcast over heads
// and queries.
func.func @gqa_causal(%q: tensor<1x8x256x64xf32>, %k: tensor<1x2x256x64xf32>,
                      %v: tensor<1x2x256x64xf32>, %keep: tensor<1x1x1x256xi1>)
    -> tensor<1x8x256x64xf32> {
  %o = attn.sdpa %q, %k, %v mask(%keep) {causal}
      : (tensor<1x8x256x64xf32>, tensor<1x2x256x64xf32>, tensor<1x2x256x64xf32>,
         tensor<1x1x1x256xi1>) -> tensor<1x8x256x64xf32>
  return %o : tensor<1x8x256x64xf32>
}
