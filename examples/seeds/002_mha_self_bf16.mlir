// Seed 002, self attention in bf16 (query and memory are the same sequence, passed twice), unscaled.
func.func @mha(%query: tensor<2x16x64xbf16>, %memory: tensor<2x16x64xbf16>,
               %wq: tensor<64x64xbf16>, %bq: tensor<64xbf16>,
               %wk: tensor<64x64xbf16>, %bk: tensor<64xbf16>,
               %wv: tensor<64x64xbf16>, %bv: tensor<64xbf16>,
               %wo: tensor<64x64xbf16>, %bo: tensor<64xbf16>) -> tensor<2x16x64xbf16> {
  %q = attn.project %query, %wq bias(%bq) {num_heads = 4 : i64}
      : (tensor<2x16x64xbf16>, tensor<64x64xbf16>, tensor<64xbf16>) -> tensor<2x4x16x16xbf16>
  %k = attn.project %memory, %wk bias(%bk) {num_heads = 4 : i64}
      : (tensor<2x16x64xbf16>, tensor<64x64xbf16>, tensor<64xbf16>) -> tensor<2x4x16x16xbf16>
  %v = attn.project %memory, %wv bias(%bv) {num_heads = 4 : i64}
      : (tensor<2x16x64xbf16>, tensor<64x64xbf16>, tensor<64xbf16>) -> tensor<2x4x16x16xbf16>
  %a = attn.sdpa %q, %k, %v {scale = 1.0 : f32}
      : (tensor<2x4x16x16xbf16>, tensor<2x4x16x16xbf16>, tensor<2x4x16x16xbf16>)
      -> tensor<2x4x16x16xbf16>
  %y = attn.output_project %a, %wo bias(%bo)
      : (tensor<2x4x16x16xbf16>, tensor<64x64xbf16>, tensor<64xbf16>) -> tensor<2x16x64xbf16>
  return %y : tensor<2x16x64xbf16>
}
