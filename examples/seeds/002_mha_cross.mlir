// Seed 002: encoder-decoder cross attention of the Transformer's MultiHeadAttention(embed_dim=64, num_heads=4): queries from the decoder (12 steps), keys and values from the encoder memory (20 steps); unscaled as the article's code is; dropout is the identity at inference.
func.func @mha(%query: tensor<2x12x64xf32>, %memory: tensor<2x20x64xf32>,
               %wq: tensor<64x64xf32>, %bq: tensor<64xf32>,
               %wk: tensor<64x64xf32>, %bk: tensor<64xf32>,
               %wv: tensor<64x64xf32>, %bv: tensor<64xf32>,
               %wo: tensor<64x64xf32>, %bo: tensor<64xf32>) -> tensor<2x12x64xf32> {
  %q = attn.project %query, %wq bias(%bq) {num_heads = 4 : i64}
      : (tensor<2x12x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<2x4x12x16xf32>
  %k = attn.project %memory, %wk bias(%bk) {num_heads = 4 : i64}
      : (tensor<2x20x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<2x4x20x16xf32>
  %v = attn.project %memory, %wv bias(%bv) {num_heads = 4 : i64}
      : (tensor<2x20x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<2x4x20x16xf32>
  %a = attn.sdpa %q, %k, %v {scale = 1.0 : f32}
      : (tensor<2x4x12x16xf32>, tensor<2x4x20x16xf32>, tensor<2x4x20x16xf32>)
      -> tensor<2x4x12x16xf32>
  %y = attn.output_project %a, %wo bias(%bo)
      : (tensor<2x4x12x16xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<2x12x64xf32>
  return %y : tensor<2x12x64xf32>
}
