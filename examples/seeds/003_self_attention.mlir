// Seed 003: SelfAttention(d_model=512, n_heads=8) with its fc output
// projection, scaled by 1/sqrt(d_head) (the default scale); the attention
// dropout is the identity at inference. Input: one sequence of 10 positions.
func.func @self_attention(%x: tensor<1x10x512xf32>,
                          %wq: tensor<512x512xf32>, %bq: tensor<512xf32>,
                          %wk: tensor<512x512xf32>, %bk: tensor<512xf32>,
                          %wv: tensor<512x512xf32>, %bv: tensor<512xf32>,
                          %wfc: tensor<512x512xf32>, %bfc: tensor<512xf32>)
    -> tensor<1x10x512xf32> {
  %q = attn.project %x, %wq bias(%bq) {num_heads = 8 : i64}
      : (tensor<1x10x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<1x8x10x64xf32>
  %k = attn.project %x, %wk bias(%bk) {num_heads = 8 : i64}
      : (tensor<1x10x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<1x8x10x64xf32>
  %v = attn.project %x, %wv bias(%bv) {num_heads = 8 : i64}
      : (tensor<1x10x512xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<1x8x10x64xf32>
  %a = attn.sdpa %q, %k, %v
      : (tensor<1x8x10x64xf32>, tensor<1x8x10x64xf32>, tensor<1x8x10x64xf32>)
      -> tensor<1x8x10x64xf32>
  %y = attn.output_project %a, %wfc bias(%bfc)
      : (tensor<1x8x10x64xf32>, tensor<512x512xf32>, tensor<512xf32>) -> tensor<1x10x512xf32>
  return %y : tensor<1x10x512xf32>
}
