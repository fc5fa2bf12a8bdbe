// Seed 004 with a causal mask (masked_fill of the upper triangle with -inf; Sq == Sk, so top-left and bottom-right alignment agree), unscaled.
func.func @masked_mha(%x: tensor<2x9x32xf32>,
                      %wq: tensor<32x32xf32>, %bq: tensor<32xf32>,
                      %wk: tensor<32x32xf32>, %bk: tensor<32xf32>,
                      %wv: tensor<32x32xf32>, %bv: tensor<32xf32>)
    -> tensor<2x4x9x8xf32> {
  %q = attn.project %x, %wq bias(%bq) {num_heads = 4 : i64}
      : (tensor<2x9x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<2x4x9x8xf32>
  %k = attn.project %x, %wk bias(%bk) {num_heads = 4 : i64}
      : (tensor<2x9x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<2x4x9x8xf32>
  %v = attn.project %x, %wv bias(%bv) {num_heads = 4 : i64}
      : (tensor<2x9x32xf32>, tensor<32x32xf32>, tensor<32xf32>) -> tensor<2x4x9x8xf32>
  %o = attn.sdpa %q, %k, %v {causal, scale = 1.0 : f32}
      : (tensor<2x4x9x8xf32>, tensor<2x4x9x8xf32>, tensor<2x4x9x8xf32>)
      -> tensor<2x4x9x8xf32>
  return %o : tensor<2x4x9x8xf32>
}
