// Seed 002, self attention with dynamic batch and sequence length, unscaled (run with --shapes).
func.func @mha(%query: tensor<?x?x64xf32>, %memory: tensor<?x?x64xf32>,
               %wq: tensor<64x64xf32>, %bq: tensor<64xf32>,
               %wk: tensor<64x64xf32>, %bk: tensor<64xf32>,
               %wv: tensor<64x64xf32>, %bv: tensor<64xf32>,
               %wo: tensor<64x64xf32>, %bo: tensor<64xf32>) -> tensor<?x?x64xf32> {
  %q = attn.project %query, %wq bias(%bq) {num_heads = 4 : i64}
      : (tensor<?x?x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x4x?x16xf32>
  %k = attn.project %memory, %wk bias(%bk) {num_heads = 4 : i64}
      : (tensor<?x?x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x4x?x16xf32>
  %v = attn.project %memory, %wv bias(%bv) {num_heads = 4 : i64}
      : (tensor<?x?x64xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x4x?x16xf32>
  %a = attn.sdpa %q, %k, %v {scale = 1.0 : f32}
      : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>)
      -> tensor<?x4x?x16xf32>
  %y = attn.output_project %a, %wo bias(%bo)
      : (tensor<?x4x?x16xf32>, tensor<64x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}
